package org.netdrivers.support.net;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;

/**
 * The {@code socket_buffer_bytes} setting of drivers and exports: the kernel's send and receive
 * buffer of each socket (SO_SNDBUF, SO_RCVBUF). 0 leaves the system's default, which on Linux
 * tunes itself for TCP.
 */
public final class SocketBuffers {
    /** Configuration field name. */
    public static final String FIELD = "socket_buffer_bytes";
    public static final int MIN = 4096;
    public static final int MAX = 64 * 1024 * 1024;

    private SocketBuffers() {}

    /**
     * @param n the configured size, in 0..MAX (the configuration type's range)
     * @return {@code n}: 0 (system default) or MIN..MAX
     */
    public static int check(ConfigReader config, int n) throws InvalidConfigurationException {
        return check(config, FIELD, n);
    }

    /** As {@link #check(ConfigReader, int)}, for a socket buffer setting named {@code field}. */
    public static int check(ConfigReader config, String field, int n) throws InvalidConfigurationException {
        if (n != 0 && n < MIN) {
            throw config.invalid(field, n + " is too small: 0 for the system's default, or " + MIN + ".." + MAX);
        }
        return n;
    }

    /** Sets both buffers of {@code channel} to {@code bytes}, unless it is 0. */
    public static <C extends NetworkChannel> C apply(C channel, int bytes) throws IOException {
        if (bytes > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, bytes);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, bytes);
        }
        return channel;
    }
}
