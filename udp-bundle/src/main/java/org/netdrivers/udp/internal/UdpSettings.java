package org.netdrivers.udp.internal;

import java.net.InetSocketAddress;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.NetAddresses;
import org.netdrivers.support.net.SocketBuffers;

/** A validated UDP driver configuration. */
record UdpSettings(InetSocketAddress target, boolean enableAddress, int idleTimeoutSeconds, int bufferBytes, int stopDrainMs,
        int socketBufferBytes) {

    static UdpSettings read(ConfigReader config) throws InvalidConfigurationException {
        UdpConfig c = config.read(UdpConfig.class);
        return new UdpSettings(config.socketAddress(UdpConfig.HOST, c.host(), c.port()), c.enable__address(), c.idle__timeout__s(),
                c.buffer__bytes(), c.stop__drain__ms(), SocketBuffers.check(config, c.socket__buffer__bytes()));
    }

    String address() {
        return NetAddresses.format("udp", target);
    }
}
