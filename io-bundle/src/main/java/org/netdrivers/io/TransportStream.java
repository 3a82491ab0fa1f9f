package org.netdrivers.io;

import org.netdrivers.api.ByteStream;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link ByteStream} over one socket of the I/O threads, which {@link IoThreads#relay} can take
 * over: a Mina session ({@link SessionStream}) or a channel of one of the selector loops
 * ({@link ChannelStream}).
 */
@ConsumerType
public interface TransportStream extends ByteStream {
    /** @return bytes read from the transport so far (also those a relay read) */
    long bytesIn();

    /** @return bytes written to the transport so far (also those a relay wrote) */
    long bytesOut();

    /**
     * @return whether {@link #handOver()} may be called now: on the transport's I/O thread, no
     *         send in progress that only the stream could finish, not closing
     */
    boolean readyForHandOver();

    /**
     * Hands the transport's receive side over to a relay; called on the transport's I/O thread by
     * {@link IoThreads#relay}, after {@link #readyForHandOver()} said yes. From now on the stream
     * receives nothing and leaves the transport's reading alone; it still closes with the
     * transport, and {@link #close()} still closes it.
     *
     * @return what it held
     */
    Handover handOver();
}
