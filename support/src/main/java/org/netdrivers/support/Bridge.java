package org.netdrivers.support;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.netdrivers.api.ByteStream;

/**
 * Copies two streams into each other until both directions have ended. Each direction receives a
 * chunk, sends it, and receives the next only once the send completed, so the bytes in flight are
 * those the streams themselves bound. End of stream on one side becomes {@link
 * ByteStream#sendEof()} on the other (half-close carried through). When both directions ended,
 * or either failed, both streams are closed.
 */
public final class Bridge {
    private final ByteStream a;
    private final ByteStream b;
    private final AtomicLong aToB = new AtomicLong();
    private final AtomicLong bToA = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger(2);
    private final CompletableFuture<Throwable> done = new CompletableFuture<>();

    public Bridge(ByteStream a, ByteStream b) {
        this.a = a;
        this.b = b;
    }

    /** Starts both directions. @return this */
    public Bridge start() {
        new Direction(a, b, aToB).run();
        new Direction(b, a, bToA).run();
        return this;
    }

    /** @return completes when the bridge ended: with null, or with the first failure */
    public CompletableFuture<Throwable> done() {
        return done;
    }

    /** @return bytes copied from a to b so far */
    public long bytesAtoB() {
        return aToB.get();
    }

    /** @return bytes copied from b to a so far */
    public long bytesBtoA() {
        return bToA.get();
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

    /** One direction, written as a loop that continues inline while stages are already complete. */
    private final class Direction implements Runnable {
        private final ByteStream from;
        private final ByteStream to;
        private final AtomicLong counter;

        Direction(ByteStream from, ByteStream to, AtomicLong counter) {
            this.from = from;
            this.to = to;
            this.counter = counter;
        }

        @Override
        public void run() {
            while (!done.isDone()) {
                CompletableFuture<Optional<ByteBuffer>> r = from.receive().toCompletableFuture();
                if (!r.isDone()) {
                    r.whenComplete((chunk, error) -> {
                        if (onReceived(chunk, error)) {
                            run();
                        }
                    });
                    return;
                }
                Optional<ByteBuffer> chunk;
                try {
                    chunk = r.join();
                } catch (RuntimeException e) {
                    onReceived(null, e.getCause() != null ? e.getCause() : e);
                    return;
                }
                if (!onReceived(chunk, null)) {
                    return;
                }
            }
        }

        /** @return true to continue the loop inline, false when a callback continues it or it ended */
        private boolean onReceived(Optional<ByteBuffer> chunk, Throwable error) {
            if (error != null) {
                finish(unwrap(error));
                return false;
            }
            if (chunk.isEmpty()) {
                to.sendEof().whenComplete((v, e) -> finish(e == null ? null : unwrap(e)));
                return false;
            }
            int n = chunk.get().remaining();
            CompletableFuture<Void> s = to.send(chunk.get()).toCompletableFuture();
            if (s.isDone() && !s.isCompletedExceptionally()) {
                counter.addAndGet(n);
                return true;
            }
            s.whenComplete((v, e) -> {
                if (e != null) {
                    finish(unwrap(e));
                } else {
                    counter.addAndGet(n);
                    run();
                }
            });
            return false;
        }
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Runs {@code action} on the failure, if any, when the bridge ends. */
    public Bridge onDone(Consumer<Throwable> action) {
        done.thenAccept(action);
        return this;
    }
}
