package org.netdrivers.support.stream;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.netdrivers.api.ByteStream;

/**
 * Copies two streams into each other until both directions have ended.
 *
 * <p>Each direction receives a chunk and sends it on; it keeps receiving while the bytes sent but
 * not yet accepted stay below a window, so that reading the next chunk overlaps writing the last
 * one, and stops receiving (which makes the source stop reading its transport) when the window is
 * full. End of stream on one side becomes {@link ByteStream#sendEof()} on the other once every
 * chunk before it was accepted (half-close carried through). When both directions ended, or
 * either failed, both streams are closed.
 */
public final class Bridge {
    /** Default bound on bytes sent but not yet accepted, per direction. */
    public static final int DEFAULT_WINDOW = 256 * 1024;

    private final ByteStream a;
    private final ByteStream b;
    private final Direction aToB;
    private final Direction bToA;
    private final AtomicInteger running = new AtomicInteger(2);
    private final CompletableFuture<Throwable> done = new CompletableFuture<>();

    /** A bridge with the default window, without in-flight accounting of the sources. */
    public Bridge(ByteStream a, ByteStream b) {
        this(a, b, DEFAULT_WINDOW, () -> 0, () -> 0);
    }

    /**
     * @param window bound on bytes sent but not yet accepted, per direction
     * @param aBuffered bytes {@code a} holds received but not yet handed out, for {@link #peakInFlightAtoB()}
     * @param bBuffered the same for {@code b}
     */
    public Bridge(ByteStream a, ByteStream b, int window, LongSupplier aBuffered, LongSupplier bBuffered) {
        this.a = a;
        this.b = b;
        this.aToB = new Direction(a, b, window, aBuffered);
        this.bToA = new Direction(b, a, window, bBuffered);
    }

    /** Starts both directions; a stream that closes ends the bridge. @return this */
    public Bridge start() {
        a.closed().whenComplete((v, e) -> endBoth());
        b.closed().whenComplete((v, e) -> endBoth());
        aToB.pump();
        bToA.pump();
        return this;
    }

    /** One side is closed: nothing more can go through; close the other. */
    private void endBoth() {
        if (done.complete(null)) {
            a.close();
            b.close();
        }
    }

    /** @return completes when the bridge ended: with null, or with the first failure */
    public CompletableFuture<Throwable> done() {
        return done;
    }

    /** @return bytes a has sent to b, accepted by b */
    public long bytesAtoB() {
        return aToB.copied.get();
    }

    /** @return bytes b has sent to a, accepted by a */
    public long bytesBtoA() {
        return bToA.copied.get();
    }

    /** @return the most bytes held between a and b at once: buffered in a plus sent to b, not yet accepted */
    public long peakInFlightAtoB() {
        return aToB.peak.get();
    }

    /** @return the same for the direction b to a */
    public long peakInFlightBtoA() {
        return bToA.peak.get();
    }

    private void finish(Throwable failure) {
        if (failure != null) {
            if (done.complete(failure)) {
                a.close();
                b.close();
            }
            return;
        }
        if (running.decrementAndGet() == 0 && done.complete(null)) {
            a.close();
            b.close();
        }
    }

    /**
     * One direction. Only one thread at a time runs the receive loop ({@code pumping}); the loop
     * continues inline while receives complete at once, and from callbacks otherwise.
     */
    private final class Direction {
        private final ByteStream from;
        private final ByteStream to;
        private final int window;
        private final LongSupplier buffered;
        private final AtomicLong outstanding = new AtomicLong();
        private final AtomicLong copied = new AtomicLong();
        private final AtomicLong peak = new AtomicLong();
        private final AtomicBoolean pumping = new AtomicBoolean();
        private final AtomicBoolean eofSent = new AtomicBoolean();
        private volatile boolean ended;

        Direction(ByteStream from, ByteStream to, int window, LongSupplier buffered) {
            this.from = from;
            this.to = to;
            this.window = window;
            this.buffered = buffered;
        }

        void pump() {
            if (pumping.compareAndSet(false, true)) {
                loop();
            }
        }

        /** Runs while this thread owns {@code pumping}; releases it when it stops. */
        private void loop() {
            while (true) {
                if (done.isDone() || ended) {
                    pumping.set(false);
                    return;
                }
                if (outstanding.get() >= window) {
                    pumping.set(false);
                    if (outstanding.get() < window) {
                        pump(); // a send completed between the check and the release
                    }
                    return;
                }
                CompletableFuture<Optional<ByteBuffer>> r = from.receive().toCompletableFuture();
                if (!r.isDone()) {
                    r.whenComplete((chunk, error) -> {
                        if (onReceived(chunk, error)) {
                            loop();
                        } else {
                            pumping.set(false);
                        }
                    });
                    return;
                }
                Optional<ByteBuffer> chunk;
                try {
                    chunk = r.join();
                } catch (CompletionException | java.util.concurrent.CancellationException e) {
                    onReceived(null, e);
                    pumping.set(false);
                    return;
                }
                if (!onReceived(chunk, null)) {
                    pumping.set(false);
                    return;
                }
            }
        }

        /** @return true to go on receiving */
        private boolean onReceived(Optional<ByteBuffer> chunk, Throwable error) {
            if (error != null) {
                finish(Completions.unwrap(error));
                return false;
            }
            if (chunk.isEmpty()) {
                ended = true;
                maybeSendEof();
                return false;
            }
            int n = chunk.get().remaining();
            long now = outstanding.addAndGet(n);
            peak.accumulateAndGet(now + buffered.getAsLong(), Math::max);
            to.send(chunk.get()).whenComplete((v, e) -> {
                if (e != null) {
                    finish(Completions.unwrap(e));
                    return;
                }
                copied.addAndGet(n);
                long left = outstanding.addAndGet(-n);
                if (ended) {
                    maybeSendEof();
                } else if (left < window && left + n >= window) {
                    pump(); // the window had been full: receive again
                }
            });
            return true;
        }

        private void maybeSendEof() {
            if (outstanding.get() == 0 && eofSent.compareAndSet(false, true)) {
                to.sendEof().whenComplete((v, e) -> finish(e == null ? null : Completions.unwrap(e)));
            }
        }
    }
}
