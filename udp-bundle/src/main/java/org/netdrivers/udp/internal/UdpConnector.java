package org.netdrivers.udp.internal;

import java.net.InetSocketAddress;

import org.apache.mina.transport.socket.nio.NioDatagramConnector;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.ManagedDriver;
import org.netdrivers.support.mina.MinaConnectorDriver;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;

/**
 * The UDP driver's service object: one Mina datagram connector on the runtime's I/O threads, one
 * connected socket per stream.
 */
final class UdpConnector {
    private UdpConnector() {}

    static ManagedDriver create(DriverSettings common, UdpSettings settings, IoThreads io) {
        NioDatagramConnector connector = new NioDatagramConnector(io.processor());
        MinaTransports.configureDatagram(connector.getSessionConfig(), settings.idleTimeoutSeconds(), settings.socketBufferBytes());
        connector.setHandler(new StreamIoHandler(
                session -> MinaTransports.udpStream(session, common.describe() + " to " + MinaTransports.remote("udp", session),
                        settings.bufferBytes(), MinaTransports.udpMax((InetSocketAddress) session.getRemoteAddress()), false),
                stream -> { }));
        return new MinaConnectorDriver(common, io, connector, settings.target(), "udp", settings.enableAddress(), settings.stopDrainMs());
    }
}
