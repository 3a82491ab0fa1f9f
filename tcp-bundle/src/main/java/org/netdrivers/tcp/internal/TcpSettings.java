package org.netdrivers.tcp.internal;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.HostTarget;
import org.netdrivers.support.net.KeepAlive;
import org.netdrivers.support.net.SocketBuffers;

/** A validated TCP driver configuration. */
record TcpSettings(HostTarget target, boolean enableAddress, int connectTimeoutMs, boolean tcpNoDelay,
        KeepAlive keepAlive, int bufferBytes, int socketBufferBytes) {

    static TcpSettings read(ConfigReader config, DriverSettings common) throws InvalidConfigurationException {
        TcpConfig c = config.read(TcpConfig.class);
        return new TcpSettings(config.hostTarget(TcpConfig.HOST, c.host(), c.port(), common.describe()), c.enable__address(), c.connect__timeout__ms(),
                c.tcp__nodelay(),
                new KeepAlive(c.keepalive(), c.keepalive__idle__s(), c.keepalive__interval__s(), c.keepalive__count()),
                c.buffer__bytes(), SocketBuffers.check(config, c.socket__buffer__bytes()));
    }
}
