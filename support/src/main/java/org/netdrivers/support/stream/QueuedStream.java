package org.netdrivers.support.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.io.Handover;

/**
 * The receive side, closing and accounting that every transport stream shares; a transport
 * subclass reads, writes and half-closes.
 *
 * <p>Chunks the transport delivers are queued; once the bytes in flight (queued plus the chunk
 * last handed out, which the consumer owns until its next {@link #receive()}) come within two
 * chunks of the limit, the subclass is asked to stop reading, and to resume once the consumer has
 * drained the queue to about half. A transport that cannot stop reading for one stream (a shared
 * datagram socket) drops what does not fit instead, and counts it.
 */
public abstract class QueuedStream implements ByteStream, ReasonClosable {
    protected final String label;
    private final long limit;
    private final int maxChunk;
    private final boolean dropWhenFull;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicLong bytesIn = new AtomicLong();
    protected final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    // guarded by this
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queued;
    private long delivered;
    private long peakInFlight;
    private boolean suspended;
    private boolean inputEnded;
    private boolean outputEnded;
    private boolean handedOver;
    private StreamClosedException closedReason;
    private IOException failure;
    private CompletableFuture<Optional<ByteBuffer>> pending;

    /**
     * @param label names the stream in error messages ("tcp driver 'dut' to tcp://127.0.0.1:22")
     * @param limit bound on bytes in flight on the receive side
     * @param maxChunk the largest chunk one read delivers
     * @param dropWhenFull drop chunks that do not fit instead of stopping reading
     */
    protected QueuedStream(String label, long limit, int maxChunk, boolean dropWhenFull) {
        this.label = label;
        this.limit = limit;
        this.maxChunk = maxChunk;
        this.dropWhenFull = dropWhenFull;
    }

    /** Stop reading from the transport (called with this stream's lock held: do not block). */
    protected abstract void suspendReading();

    /** Resume reading from the transport (called with this stream's lock held: do not block). */
    protected abstract void resumeReading();

    /** Release the transport; called once, by {@link #close(StreamClosedException)}. */
    protected abstract void closeTransport();

    public String label() {
        return label;
    }

    /** @return the most bytes this stream held in flight on its receive side at any time */
    public synchronized long peakInFlight() {
        return peakInFlight;
    }

    /** @return bytes held in flight on the receive side now */
    public synchronized long inFlight() {
        return queued + delivered;
    }

    public long bytesIn() {
        return bytesIn.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    /** @return chunks dropped because the consumer was behind (only where the transport cannot stop reading) */
    public long dropped() {
        return dropped.get();
    }

    // ---- for the transport

    /** A chunk arrived from the transport. */
    protected final void delivered(ByteBuffer chunk) {
        int n = chunk.remaining();
        CompletableFuture<Optional<ByteBuffer>> p = null;
        synchronized (this) {
            if (closedReason != null) {
                return;
            }
            bytesIn.addAndGet(n);
            if (pending != null && queue.isEmpty()) {
                p = pending;
                pending = null;
                delivered = n;
            } else if (dropWhenFull && queued + delivered + n > limit) {
                dropped.incrementAndGet();
                return;
            } else {
                queue.add(chunk);
                queued += n;
            }
            peakInFlight = Math.max(peakInFlight, queued + delivered);
            if (!dropWhenFull && !suspended && !handedOver && queued + delivered + 2L * maxChunk > limit) {
                suspended = true;
                suspendReading();
            }
        }
        if (p != null) {
            p.complete(Optional.of(chunk));
        }
    }

    /** The transport reached end of stream. */
    protected final void endOfInput() {
        CompletableFuture<Optional<ByteBuffer>> p = null;
        synchronized (this) {
            inputEnded = true;
            if (!suspended && !dropWhenFull && !handedOver) {
                suspended = true;
                suspendReading(); // nothing more to read; stop being told so
            }
            if (pending != null && queue.isEmpty()) {
                p = pending;
                pending = null;
            }
        }
        if (p != null) {
            p.complete(Optional.empty());
        }
    }

    /** The transport failed; the stream fails once its queued chunks are received. */
    protected final void transportFailed(Throwable cause) {
        synchronized (this) {
            if (failure == null && closedReason == null) {
                failure = cause instanceof StreamClosedException ? (StreamClosedException) cause
                        : new StreamClosedException(label + ": " + (cause.getMessage() != null ? cause.getMessage() : cause), cause);
            }
        }
    }

    /** The transport is gone: pending receives end (with end of stream where {@code asEndOfStream}). */
    protected final void transportClosed(boolean asEndOfStream) {
        CompletableFuture<Optional<ByteBuffer>> p = null;
        IOException error;
        synchronized (this) {
            if (closedReason == null && failure == null && !inputEnded) {
                if (asEndOfStream) {
                    inputEnded = true;
                } else {
                    failure = new RoutineEnd(label + ": connection closed");
                }
            }
            error = closedReason != null ? closedReason : failure;
            if (pending != null && queue.isEmpty()) {
                p = pending;
                pending = null;
            }
        }
        if (p != null) {
            if (error != null) {
                p.completeExceptionally(error);
            } else {
                p.complete(Optional.empty());
            }
        }
        closed.complete(null);
    }

    /** @return null when a send may proceed, else the stage it must return */
    protected final synchronized CompletableFuture<Void> checkSend() {
        if (closedReason != null) {
            return CompletableFuture.failedFuture(closedReason);
        }
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (outputEnded) {
            return CompletableFuture.failedFuture(new IllegalStateException(label + ": send() after sendEof()"));
        }
        return null;
    }

    /** @return null when sendEof() should half-close now, else the stage it must return */
    protected final synchronized CompletableFuture<Void> checkSendEof() {
        if (closedReason != null) {
            return CompletableFuture.failedFuture(closedReason);
        }
        if (outputEnded) {
            return CompletableFuture.completedFuture(null);
        }
        outputEnded = true;
        return null;
    }

    /** The error a failed write reports: the stream's own reason where it has one. */
    protected final synchronized IOException writeFailure(Throwable cause) {
        if (closedReason != null) {
            return closedReason;
        }
        if (failure != null) {
            return failure;
        }
        return new StreamClosedException(label + ": send failed" + (cause == null ? "" : ": " + cause.getMessage()), cause);
    }

    /**
     * The transport's receive side goes to someone else (a relay on the transport's own thread):
     * from now on this stream neither queues nor stops or resumes reading. Subclasses that are
     * {@link org.netdrivers.io.TransportStream}s implement its {@code handOver()} with this.
     *
     * @return the chunks received and not yet handed out, in order, and whether the input had ended
     */
    public final synchronized Handover handOver() {
        handedOver = true;
        java.util.List<ByteBuffer> chunks = new java.util.ArrayList<>(queue);
        queue.clear();
        queued = 0;
        delivered = 0;
        return new Handover(chunks, inputEnded);
    }

    /**
     * Bytes a relay carried through the transport, counted as this stream's. A channel relay calls
     * this at every read (out 0) and every write (in 0): only the side that moved is touched.
     */
    protected final void addRelayed(long in, long out) {
        if (in != 0) {
            bytesIn.addAndGet(in);
        }
        if (out != 0) {
            bytesOut.addAndGet(out);
        }
    }

    /** @return why this stream was closed, or null while it is open */
    public final synchronized StreamClosedException closeReason() {
        return closedReason;
    }

    protected final synchronized boolean isClosed() {
        return closedReason != null;
    }

    // ---- ByteStream

    @Override
    public final CompletionStage<Optional<ByteBuffer>> receive() {
        synchronized (this) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(closedReason);
            }
            if (pending != null) {
                return CompletableFuture.failedFuture(new IllegalStateException(label + ": receive() called while one is pending"));
            }
            delivered = 0;
            ByteBuffer chunk = queue.poll();
            if (chunk != null) {
                queued -= chunk.remaining();
                delivered = chunk.remaining();
                maybeResume();
                return CompletableFuture.completedFuture(Optional.of(chunk));
            }
            if (inputEnded) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            maybeResume();
            pending = new CompletableFuture<>();
            return pending;
        }
    }

    private void maybeResume() {
        if (suspended && !inputEnded && !dropWhenFull && !handedOver && (queued + delivered) * 2 + 4L * maxChunk <= limit) {
            suspended = false;
            resumeReading();
        }
    }

    @Override
    public final void close() {
        close(new RoutineEnd(label + ": closed"));
    }

    @Override
    public final void close(StreamClosedException reason) {
        CompletableFuture<Optional<ByteBuffer>> p;
        synchronized (this) {
            if (closedReason != null) {
                return;
            }
            closedReason = reason;
            queue.clear();
            queued = 0;
            delivered = 0;
            p = pending;
            pending = null;
        }
        closeTransport();
        if (p != null) {
            p.completeExceptionally(reason);
        }
        closed.complete(null);
    }

    @Override
    public final CompletionStage<Void> closed() {
        return closed;
    }

    @Override
    public String toString() {
        return label;
    }

    /**
     * The reason of an ordinary end (closed by its user, the connection closed): its message says
     * all, so no stack trace is taken (with one, connections of one short exchange each spent
     * about 5% of their I/O thread's time filling them in).
     */
    private static final class RoutineEnd extends StreamClosedException {
        private static final long serialVersionUID = 1L;

        RoutineEnd(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
