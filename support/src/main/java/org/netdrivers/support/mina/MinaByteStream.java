package org.netdrivers.support.mina;

import org.netdrivers.support.ReasonClosable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IoSession;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;

/**
 * A {@link ByteStream} over one Apache Mina {@link IoSession}, driven by {@link StreamIoHandler}.
 *
 * <p>Receive side: chunks read by Mina are queued; once the bytes in flight (queued plus the chunk
 * last handed out, which the consumer owns until its next {@link #receive()}) come within two
 * read buffers of the limit, reading is suspended, and resumed when the consumer has drained the
 * queue to half. Send side: a send completes when Mina has written the chunk to the socket.
 */
public final class MinaByteStream implements ByteStream, ReasonClosable {

    /** How the stream treats its transport. */
    public enum Mode {
        /** A byte stream (TCP): reading stops while the consumer is behind; sendEof half-closes. */
        STREAM,
        /** Datagrams on a session of their own (a connected UDP socket): one datagram per chunk. */
        DATAGRAM,
        /**
         * Datagrams on a session that shares its socket with others (a UDP acceptor): reading
         * cannot stop for one session, so a datagram that finds the buffer full is dropped.
         */
        SHARED_DATAGRAM
    }

    /** Half-closes the session's output; transports without half-close do nothing. */
    @FunctionalInterface
    public interface HalfCloser {
        void shutdownOutput(IoSession session) throws IOException;
    }

    private final IoSession session;
    private final String label;
    private final long limit;
    private final int maxChunk;
    private final HalfCloser halfCloser;
    private final Mode mode;
    private final int maxMessage;
    private final AtomicLong dropped = new AtomicLong();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong chunksIn = new AtomicLong();

    // guarded by this
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queued;
    private long delivered;
    private long peakInFlight;
    private boolean suspended;
    private boolean inputEnded;
    private boolean outputEnded;
    private StreamClosedException closedReason;
    private IOException failure;
    private CompletableFuture<Optional<ByteBuffer>> pending;
    private WriteFuture lastWrite;

    /**
     * @param session the Mina session, not yet reading
     * @param label names the stream in error messages ("tcp driver 'dut' to 127.0.0.1:22")
     * @param limit bound on bytes in flight on the receive side; at least four read buffers
     * @param maxChunk the session's maximum read buffer size
     * @param halfCloser what {@link #sendEof()} does once every send is written
     */
    public MinaByteStream(IoSession session, String label, long limit, int maxChunk, HalfCloser halfCloser) {
        this(session, label, limit, maxChunk, halfCloser, Mode.STREAM, 0);
    }

    /**
     * @param mode how the transport is treated
     * @param maxMessage for datagram modes, the largest datagram a send may carry
     */
    public MinaByteStream(IoSession session, String label, long limit, int maxChunk, HalfCloser halfCloser, Mode mode,
            int maxMessage) {
        this.session = session;
        this.label = label;
        this.limit = limit;
        this.maxChunk = maxChunk;
        this.halfCloser = halfCloser;
        this.mode = mode;
        this.maxMessage = maxMessage;
    }

    /** @return datagrams dropped because the consumer was behind (shared datagram sessions only) */
    public long dropped() {
        return dropped.get();
    }

    public String label() {
        return label;
    }

    public IoSession session() {
        return session;
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

    /** @return chunks read from the transport so far */
    public long chunksIn() {
        return chunksIn.get();
    }

    // ---- events from StreamIoHandler, on a Mina I/O thread

    void onMessage(IoBuffer buffer) {
        ByteBuffer chunk = buffer.buf();
        int n = chunk.remaining();
        if (n == 0) {
            return;
        }
        bytesIn.addAndGet(n);
        chunksIn.incrementAndGet();
        CompletableFuture<Optional<ByteBuffer>> p = null;
        synchronized (this) {
            if (closedReason != null) {
                return;
            }
            if (pending != null && queue.isEmpty()) {
                p = pending;
                pending = null;
                delivered = n;
            } else if (mode == Mode.SHARED_DATAGRAM && queued + delivered + n > limit) {
                dropped.incrementAndGet();
                return;
            } else {
                queue.add(chunk);
                queued += n;
            }
            peakInFlight = Math.max(peakInFlight, queued + delivered);
            if (mode != Mode.SHARED_DATAGRAM && !suspended && queued + delivered + 2L * maxChunk > limit) {
                suspended = true;
                session.suspendRead();
            }
        }
        if (p != null) {
            p.complete(Optional.of(chunk));
        }
    }

    void onInputClosed() {
        CompletableFuture<Optional<ByteBuffer>> p = null;
        synchronized (this) {
            inputEnded = true;
            if (!suspended && mode != Mode.SHARED_DATAGRAM) {
                suspended = true;
                // stop the selector from reporting end-of-stream again and again
                session.suspendRead();
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

    void onException(Throwable cause) {
        if (mode != Mode.STREAM && cause instanceof java.net.PortUnreachableException) {
            return; // UDP: nobody listens there (yet); later datagrams may still reach someone
        }
        synchronized (this) {
            if (failure == null && closedReason == null) {
                failure = cause instanceof IOException
                        ? new StreamClosedException(label + ": " + cause.getMessage(), cause)
                        : new StreamClosedException(label + ": " + cause, cause);
            }
        }
        session.closeNow();
    }

    /** The session was idle for its configured time: datagram streams end (end of stream). */
    void onIdle() {
        if (mode != Mode.STREAM) {
            onInputClosed();
            session.closeNow();
        }
    }

    void onSessionClosed() {
        CompletableFuture<Optional<ByteBuffer>> p = null;
        IOException error;
        synchronized (this) {
            if (closedReason == null && failure == null && !inputEnded) {
                if (mode == Mode.STREAM) {
                    failure = new StreamClosedException(label + ": connection closed");
                } else {
                    inputEnded = true; // a datagram session that expired simply ends
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

    // ---- ByteStream

    @Override
    public CompletionStage<Optional<ByteBuffer>> receive() {
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
        if (suspended && !inputEnded && mode != Mode.SHARED_DATAGRAM && (queued + delivered) * 2 + 4L * maxChunk <= limit) {
            suspended = false;
            session.resumeRead();
            wakeUp();
        }
    }

    /**
     * Mina changes the selection key's interest set without waking its selector; since JDK 11 a
     * change made from another thread then waits for the next select, up to Mina's 1 s timeout.
     * A flush request wakes the selector (and is a no-op with nothing queued to write).
     */
    @SuppressWarnings("unchecked")
    private void wakeUp() {
        if (session instanceof AbstractIoSession) {
            ((org.apache.mina.core.service.IoProcessor<IoSession>) ((AbstractIoSession) session).getProcessor()).flush(session);
        }
    }

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        int n = chunk.remaining();
        WriteFuture write;
        synchronized (this) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(closedReason);
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (outputEnded) {
                return CompletableFuture.failedFuture(new IllegalStateException(label + ": send() after sendEof()"));
            }
            if (n == 0) {
                return CompletableFuture.completedFuture(null);
            }
            if (maxMessage > 0 && n > maxMessage) {
                return CompletableFuture.failedFuture(new IOException(label + ": a datagram of " + n
                        + " bytes is larger than the " + maxMessage + " bytes UDP can carry; not sent"));
            }
            write = session.write(IoBuffer.wrap(chunk));
            lastWrite = write;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        write.addListener(f -> {
            WriteFuture wf = (WriteFuture) f;
            if (wf.isWritten()) {
                bytesOut.addAndGet(n);
                result.complete(null);
            } else {
                result.completeExceptionally(sendFailure(wf.getException()));
            }
        });
        return result;
    }

    private synchronized IOException sendFailure(Throwable cause) {
        if (closedReason != null) {
            return closedReason;
        }
        if (failure != null) {
            return failure;
        }
        return new StreamClosedException(label + ": send failed" + (cause == null ? "" : ": " + cause.getMessage()), cause);
    }

    @Override
    public CompletionStage<Void> sendEof() {
        WriteFuture last;
        synchronized (this) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(closedReason);
            }
            if (outputEnded) {
                return CompletableFuture.completedFuture(null);
            }
            outputEnded = true;
            last = lastWrite;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        Runnable shutdown = () -> {
            try {
                halfCloser.shutdownOutput(session);
                result.complete(null);
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(new StreamClosedException(label + ": half-close failed: " + e.getMessage(), e));
            }
        };
        if (last == null || last.isDone()) {
            shutdown.run();
        } else {
            last.addListener(f -> {
                if (((WriteFuture) f).isWritten()) {
                    shutdown.run();
                } else {
                    result.completeExceptionally(sendFailure(((WriteFuture) f).getException()));
                }
            });
        }
        return result;
    }

    @Override
    public void close() {
        close(new StreamClosedException(label + ": closed"));
    }

    @Override
    public void close(StreamClosedException reason) {
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
        session.closeNow();
        if (p != null) {
            p.completeExceptionally(reason);
        }
        closed.complete(null);
    }

    @Override
    public CompletionStage<Void> closed() {
        return closed;
    }

    @Override
    public String toString() {
        return label;
    }
}
