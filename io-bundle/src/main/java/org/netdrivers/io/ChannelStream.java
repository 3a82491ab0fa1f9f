package org.netdrivers.io;

import java.nio.channels.SocketChannel;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link TransportStream} whose transport is one non-blocking JDK socket channel (TCP, or a
 * Unix-domain socket) registered on a {@link SelectorLoop}.
 */
@ConsumerType
public interface ChannelStream extends TransportStream {
    /** @return the channel, registered on {@link #loop()} */
    SocketChannel channel();

    /** @return the loop that serves the channel */
    SelectorLoop loop();

    /**
     * A relay carried these bytes through the channel: the stream counts them as its own. Called
     * on the loop's thread as the bytes go (at every read and write), so that the stream's counts
     * are live while a relay carries it.
     */
    void relayed(long bytesIn, long bytesOut);
}
