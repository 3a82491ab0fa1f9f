package org.netdrivers.udp.internal;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.HostTarget;
import org.netdrivers.support.net.SocketBuffers;

/** A validated UDP driver configuration. */
record UdpSettings(HostTarget target, boolean enableAddress, int idleTimeoutSeconds, int bufferBytes, int stopDrainMs,
        int socketBufferBytes) {

    static UdpSettings read(ConfigReader config, DriverSettings common) throws InvalidConfigurationException {
        UdpConfig c = config.read(UdpConfig.class);
        return new UdpSettings(config.hostTarget(UdpConfig.HOST, c.host(), c.port(), common.describe()), c.enable__address(), c.idle__timeout__s(),
                c.buffer__bytes(), c.stop__drain__ms(), SocketBuffers.check(config, c.socket__buffer__bytes()));
    }
}
