package org.netdrivers.support.mina;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IoSession;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.QueuedStream;

/**
 * A stream over one Apache Mina {@link IoSession}, driven by {@link StreamIoHandler}. A send
 * completes when Mina has written the chunk to the socket.
 */
public final class MinaByteStream extends QueuedStream {

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
    private final HalfCloser halfCloser;
    private final Mode mode;
    private final int maxMessage;
    private WriteFuture lastWrite; // guarded by this
    @SuppressWarnings("rawtypes")
    private org.apache.mina.core.polling.AbstractPollingIoProcessor processor; // guarded by this; found on first resume

    /** A TCP stream. */
    public MinaByteStream(IoSession session, String label, long limit, int maxChunk, HalfCloser halfCloser) {
        this(session, label, limit, maxChunk, halfCloser, Mode.STREAM, 0);
    }

    /**
     * @param limit bound on bytes in flight on the receive side; at least four read buffers
     * @param maxChunk the session's maximum read buffer size
     * @param halfCloser what {@link #sendEof()} does once every send is written
     * @param mode how the transport is treated
     * @param maxMessage for datagram modes, the largest datagram a send may carry
     */
    public MinaByteStream(IoSession session, String label, long limit, int maxChunk, HalfCloser halfCloser, Mode mode,
            int maxMessage) {
        super(label, limit, maxChunk, mode == Mode.SHARED_DATAGRAM);
        this.session = session;
        this.halfCloser = halfCloser;
        this.mode = mode;
        this.maxMessage = maxMessage;
    }

    public IoSession session() {
        return session;
    }

    /**
     * Stops reading, then schedules a flush. Mina's suspendRead() and resumeRead() recompute the
     * write interest from the write queue alone, and the queue is empty while the processor writes
     * its last request: the interest in writing the rest of a partly written chunk is dropped and
     * the session never writes again (a rare stall of a bulk send while reads pause). A scheduled
     * flush continues that request and sets the interest again.
     */
    @Override
    protected void suspendReading() {
        session.suspendRead();
        flushLater();
    }

    @SuppressWarnings("unchecked")
    private void flushLater() {
        if (session instanceof AbstractIoSession) {
            ((IoProcessor<IoSession>) ((AbstractIoSession) session).getProcessor()).flush(session);
        }
    }

    /**
     * Resumes reading on the session's processor thread (see {@link ProcessorWakeup}); where that
     * is not possible, Mina's resumeRead(). Then a flush, as in {@link #suspendReading()}; it also
     * wakes the processor.
     */
    @Override
    protected void resumeReading() {
        if (processor == null) {
            processor = ProcessorWakeup.processorOf(session);
        }
        if (!ProcessorWakeup.resume(session, processor)) {
            session.resumeRead();
        }
        flushLater(); // after the traffic update, in the processor's loop: see suspendReading()
    }

    @Override
    protected void closeTransport() {
        session.closeNow();
    }

    // ---- events from StreamIoHandler, on a Mina I/O thread

    void onMessage(IoBuffer buffer) {
        ByteBuffer chunk = buffer.buf();
        if (chunk.hasRemaining()) {
            delivered(chunk);
        }
    }

    void onInputClosed() {
        endOfInput();
    }

    void onException(Throwable cause) {
        if (mode != Mode.STREAM && cause instanceof java.net.PortUnreachableException) {
            return; // UDP: nobody listens there (yet); later datagrams may still reach someone
        }
        transportFailed(cause);
        session.closeNow();
    }

    /** The session was idle for its configured time: datagram streams end (end of stream). */
    void onIdle() {
        if (mode != Mode.STREAM) {
            endOfInput();
            session.closeNow();
        }
    }

    void onSessionClosed() {
        // a datagram session that expired simply ends
        transportClosed(mode != Mode.STREAM);
    }

    // ---- ByteStream

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        int n = chunk.remaining();
        WriteFuture write;
        synchronized (this) {
            CompletableFuture<Void> refused = checkSend();
            if (refused != null) {
                return refused;
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
                result.completeExceptionally(writeFailure(wf.getException()));
            }
        });
        return result;
    }

    @Override
    public CompletionStage<Void> sendEof() {
        WriteFuture last;
        synchronized (this) {
            CompletableFuture<Void> now = checkSendEof();
            if (now != null) {
                return now;
            }
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
                    result.completeExceptionally(writeFailure(((WriteFuture) f).getException()));
                }
            });
        }
        return result;
    }
}
