package org.netdrivers.support.net;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.concurrent.atomic.AtomicBoolean;

import jdk.net.ExtendedSocketOptions;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP keepalive of a connection, for a peer that goes away without a word: a device switched off
 * or rebooted (a power cycle leaves no FIN), a client whose machine or network went. Once the
 * connection has carried nothing for {@code idleSeconds}, the kernel sends a probe every
 * {@code intervalSeconds}; a rebooted peer answers the first with a reset, and a peer that answers
 * none of {@code count} probes fails the connection (ETIMEDOUT). Either way the stream ends, and
 * whoever was reading it learns so, instead of waiting on a dead connection for ever (Linux's own
 * idle time is two hours). Probes are empty segments that every TCP stack answers; they cost
 * nothing while data flows.
 *
 * <p>The three timings are Linux's TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT, set through the
 * JDK's {@link ExtendedSocketOptions}. Where the platform has none of them, the system's timings
 * stay, said once.
 */
public record KeepAlive(boolean on, int idleSeconds, int intervalSeconds, int count) {
    /** The defaults of the configuration fields: a rebooted peer is found after about 30 s of silence, a vanished one after about 60 s. */
    public static final int IDLE_S = 30;
    public static final int INTERVAL_S = 10;
    public static final int COUNT = 3;

    private static final Logger LOG = LoggerFactory.getLogger(KeepAlive.class);
    private static final AtomicBoolean UNSUPPORTED_SAID = new AtomicBoolean();

    /**
     * Sets SO_KEEPALIVE of a connected TCP channel, and its timings when on.
     *
     * @throws IOException the channel is closed (a peer that reset at once): nothing to keep alive
     */
    public void apply(NetworkChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, on);
        if (on) {
            boolean all = set(channel, ExtendedSocketOptions.TCP_KEEPIDLE, idleSeconds)
                    & set(channel, ExtendedSocketOptions.TCP_KEEPINTERVAL, intervalSeconds)
                    & set(channel, ExtendedSocketOptions.TCP_KEEPCOUNT, count);
            if (!all && UNSUPPORTED_SAID.compareAndSet(false, true)) {
                LOG.info("this platform does not let the JDK set TCP keepalive timings: probes come after the system's"
                        + " idle time (on Linux net.ipv4.tcp_keepalive_time), not after {} s", idleSeconds);
            }
        }
    }

    /** @return whether the channel knows the option */
    private static boolean set(NetworkChannel channel, SocketOption<Integer> option, int value) throws IOException {
        if (!channel.supportedOptions().contains(option)) {
            return false;
        }
        channel.setOption(option, value);
        return true;
    }
}
