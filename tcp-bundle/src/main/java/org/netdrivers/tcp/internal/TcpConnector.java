package org.netdrivers.tcp.internal;

import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.ManagedDriver;
import org.netdrivers.support.mina.MinaConnectorDriver;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;

/**
 * The TCP driver's service object: one Mina socket connector on the runtime's I/O threads, one
 * session per stream.
 */
final class TcpConnector {
    private TcpConnector() {}

    static ManagedDriver create(DriverSettings common, TcpSettings settings, IoThreads io) {
        NioSocketConnector connector = MinaTransports.socketConnector(io);
        connector.setConnectTimeoutMillis(settings.connectTimeoutMs());
        MinaTransports.configure(connector.getSessionConfig(), settings.tcpNoDelay(), settings.socketBufferBytes());
        connector.setHandler(new StreamIoHandler(
                session -> {
                    MinaTransports.keepAlive(session, settings.keepAlive());
                    return MinaTransports.tcpStream(session, common.describe() + " to " + MinaTransports.remote("tcp", session),
                            settings.bufferBytes());
                },
                stream -> { }));
        return new MinaConnectorDriver(common, io, connector, settings.target(), "tcp", settings.enableAddress());
    }
}
