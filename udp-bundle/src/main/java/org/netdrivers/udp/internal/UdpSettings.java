package org.netdrivers.udp.internal;

import java.net.InetSocketAddress;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.NetAddresses;

/** A validated UDP driver configuration. */
record UdpSettings(InetSocketAddress target, boolean enableAddress, int idleTimeoutSeconds, int bufferBytes, int stopDrainMs) {

    static UdpSettings read(ConfigReader config) throws InvalidConfigurationException {
        InetSocketAddress target = config.hostAndPort(UdpConfig.HOST, UdpConfig.PORT);
        return new UdpSettings(target,
                config.bool(NetworkConstants.ENABLE_ADDRESS, true),
                config.intInRange(UdpConfig.IDLE_TIMEOUT_S, 1, 86_400, UdpConfig.DEFAULT_IDLE_TIMEOUT_S),
                config.intInRange(UdpConfig.BUFFER_BYTES, 256 * 1024, 1 << 30, UdpConfig.DEFAULT_BUFFER_BYTES),
                config.intInRange(UdpConfig.STOP_DRAIN_MS, 0, 10_000, UdpConfig.DEFAULT_STOP_DRAIN_MS));
    }

    String address() {
        return NetAddresses.format("udp", target);
    }
}
