package org.netdrivers.support.driver;

import org.netdrivers.support.stream.ReasonClosable;

import java.util.concurrent.CompletableFuture;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;

/**
 * What every driver does with its streams: it tracks them, refuses new ones once it is going away
 * (so that the registry turns to the replacement), and closes them all with the reason when it
 * goes; a subclass then releases its transport ({@link #releaseTransport()}).
 */
public abstract class TrackingDriver implements ManagedDriver {
    protected final OpenStreams streams = new OpenStreams();

    /** @return a failed stage when the driver is going away, else null: connect() begins with it */
    protected final CompletableFuture<ByteStream> refusedIfGoing() {
        StreamClosedException gone = streams.shutdownReason();
        return gone == null ? null : CompletableFuture.failedFuture(gone);
    }

    /**
     * Hands a new stream to the caller, tracked; fails the caller instead (and closes the stream)
     * when the driver began to go away while it was connecting.
     */
    protected final <S extends ByteStream & ReasonClosable> void handOut(S stream, CompletableFuture<ByteStream> result) {
        streams.track(stream);
        StreamClosedException gone = streams.shutdownReason();
        if (gone != null) {
            result.completeExceptionally(gone);
        } else {
            result.complete(stream);
        }
    }

    /** The driver's going-away reason when it has one: a connect failure then reports that instead. */
    protected final Exception orGoingAway(Exception failure) {
        StreamClosedException gone = streams.shutdownReason();
        return gone != null ? gone : failure;
    }

    @Override
    public final void refuseNewStreams(StreamClosedException reason) {
        streams.refuseNew(reason);
    }

    @Override
    public final void dispose(StreamClosedException reason) {
        long drain = stopDrainMillis();
        // new streams are refused already, and the registry has moved its UDP sessions to the
        // replacement; the open streams go on a moment, so that answers in flight arrive
        if (drain > 0 && streams.size() > 0 && drainThenRelease(drain)) {
            return;
        }
        streams.closeAll(reason);
        releaseTransport();
    }

    /**
     * How long open streams go on once the driver is going away, before they are closed: 0 for
     * byte streams (their peers see the close); a datagram driver gives the answers on their way
     * to its sockets the time to arrive, since a datagram to a closed socket is lost.
     */
    protected long stopDrainMillis() {
        return 0;
    }

    /**
     * Lets the open streams go on {@code ms}, then closes them and releases the transport, without
     * waiting here (the caller is SCR's thread): a driver with a stop drain hands this to a thread
     * that outlives its bundle.
     *
     * @return false where the driver cannot: its streams are then closed at once
     */
    protected boolean drainThenRelease(long ms) {
        return false;
    }

    /** Called once, after every stream was closed: release the selector, connector or client. */
    protected void releaseTransport() {
    }
}
