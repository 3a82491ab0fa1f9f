package org.netdrivers.udp.internal;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import org.netdrivers.support.ConfigReader;
import org.netdrivers.support.InvalidConfigurationException;
import org.netdrivers.support.NetAddresses;

/** A validated UDP driver configuration. */
record UdpSettings(InetSocketAddress target, boolean enableAddress, int idleTimeoutSeconds, int bufferBytes) {

    static UdpSettings read(ConfigReader config) throws InvalidConfigurationException {
        String host = config.requiredString(UdpConfig.HOST);
        if (!NetAddresses.isValidHost(host)) {
            throw config.invalid(UdpConfig.HOST, "\"" + host + "\" is not a host name or an IP address");
        }
        int port = config.port(UdpConfig.PORT);
        InetSocketAddress target;
        try {
            target = new InetSocketAddress(NetAddresses.resolve(host), port);
        } catch (UnknownHostException | SecurityException e) {
            throw config.invalid(UdpConfig.HOST, "\"" + host + "\" does not resolve: " + e.getMessage());
        }
        return new UdpSettings(target,
                config.bool("enable_address", true),
                config.intInRange(UdpConfig.IDLE_TIMEOUT_S, 1, 86_400, UdpConfig.DEFAULT_IDLE_TIMEOUT_S),
                config.intInRange(UdpConfig.BUFFER_BYTES, 256 * 1024, 1 << 30, UdpConfig.DEFAULT_BUFFER_BYTES));
    }

    String address() {
        return NetAddresses.format("udp", target);
    }
}
