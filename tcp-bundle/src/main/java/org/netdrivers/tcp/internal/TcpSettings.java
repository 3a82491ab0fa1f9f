package org.netdrivers.tcp.internal;

import java.net.InetSocketAddress;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.NetAddresses;
import org.netdrivers.support.net.SocketBuffers;

/** A validated TCP driver configuration. */
record TcpSettings(InetSocketAddress target, boolean enableAddress, int connectTimeoutMs, boolean tcpNoDelay,
        boolean keepAlive, int bufferBytes, int socketBufferBytes) {

    static TcpSettings read(ConfigReader config) throws InvalidConfigurationException {
        TcpConfig c = config.read(TcpConfig.class);
        return new TcpSettings(config.socketAddress(TcpConfig.HOST, c.host(), c.port()), c.enable__address(), c.connect__timeout__ms(),
                c.tcp__nodelay(), c.keepalive(), c.buffer__bytes(), SocketBuffers.check(config, c.socket__buffer__bytes()));
    }

    String address() {
        return NetAddresses.format("tcp", target);
    }
}
