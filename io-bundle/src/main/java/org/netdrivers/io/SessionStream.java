package org.netdrivers.io;

import java.nio.ByteBuffer;
import java.util.List;

import org.apache.mina.core.session.IoSession;
import org.netdrivers.api.ByteStream;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link ByteStream} whose transport is one Mina session (a TCP connection), which
 * {@link IoThreads#relay} can take over.
 */
@ConsumerType
public interface SessionStream extends ByteStream {
    /** What a stream held when it was handed over. */
    record Handover(List<ByteBuffer> chunks, boolean inputEnded) {
    }

    /** @return the stream's session */
    IoSession session();

    /**
     * Hands the session's receive side over to a relay; called on the session's I/O thread by
     * {@link IoThreads#relay}. From now on the stream receives nothing and leaves the session's
     * read suspension alone; it still closes with the session, and {@link #close()} still closes
     * the session.
     *
     * @return the chunks received and not yet handed out, in order, and whether the input had
     *         ended before the hand-over
     */
    Handover handOver();
}
