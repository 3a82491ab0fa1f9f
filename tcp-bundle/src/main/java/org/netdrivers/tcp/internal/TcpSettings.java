package org.netdrivers.tcp.internal;

import java.net.InetSocketAddress;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.NetAddresses;
import org.netdrivers.support.net.SocketBuffers;

/** A validated TCP driver configuration. */
record TcpSettings(InetSocketAddress target, boolean enableAddress, int connectTimeoutMs, boolean tcpNoDelay,
        boolean keepAlive, int bufferBytes, int socketBufferBytes) {

    static TcpSettings read(ConfigReader config) throws InvalidConfigurationException {
        InetSocketAddress target = config.hostAndPort(TcpConfig.HOST, TcpConfig.PORT);
        return new TcpSettings(target,
                config.bool(NetworkConstants.ENABLE_ADDRESS, true),
                config.intInRange(TcpConfig.CONNECT_TIMEOUT_MS, 1, 3_600_000, TcpConfig.DEFAULT_CONNECT_TIMEOUT_MS),
                config.bool(TcpConfig.TCP_NODELAY, true),
                config.bool(TcpConfig.KEEPALIVE, false),
                config.intInRange(TcpConfig.BUFFER_BYTES, 256 * 1024, 1 << 30, TcpConfig.DEFAULT_BUFFER_BYTES),
                SocketBuffers.read(config));
    }

    String address() {
        return NetAddresses.format("tcp", target);
    }
}
