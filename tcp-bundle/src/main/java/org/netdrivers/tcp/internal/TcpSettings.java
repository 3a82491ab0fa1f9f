package org.netdrivers.tcp.internal;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import org.netdrivers.support.ConfigReader;
import org.netdrivers.support.InvalidConfigurationException;
import org.netdrivers.support.NetAddresses;

/** A validated TCP driver configuration. */
record TcpSettings(InetSocketAddress target, boolean enableAddress, int connectTimeoutMs, boolean tcpNoDelay,
        boolean keepAlive, int bufferBytes) {

    static TcpSettings read(ConfigReader config) throws InvalidConfigurationException {
        String host = config.requiredString(TcpConfig.HOST);
        if (!NetAddresses.isValidHost(host)) {
            throw config.invalid(TcpConfig.HOST, "\"" + host + "\" is not a host name or an IP address");
        }
        int port = config.port(TcpConfig.PORT);
        InetSocketAddress target;
        try {
            target = new InetSocketAddress(NetAddresses.resolve(host), port);
        } catch (UnknownHostException | SecurityException e) {
            throw config.invalid(TcpConfig.HOST, "\"" + host + "\" does not resolve: " + e.getMessage());
        }
        return new TcpSettings(target,
                config.bool("enable_address", true),
                config.intInRange(TcpConfig.CONNECT_TIMEOUT_MS, 1, 3_600_000, TcpConfig.DEFAULT_CONNECT_TIMEOUT_MS),
                config.bool(TcpConfig.TCP_NODELAY, true),
                config.bool(TcpConfig.KEEPALIVE, false),
                config.intInRange(TcpConfig.BUFFER_BYTES, 256 * 1024, 1 << 30, TcpConfig.DEFAULT_BUFFER_BYTES));
    }

    String address() {
        return NetAddresses.format("tcp", target);
    }
}
