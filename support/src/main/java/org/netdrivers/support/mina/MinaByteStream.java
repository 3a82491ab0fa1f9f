package org.netdrivers.support.mina;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.apache.mina.core.write.WriteToClosedSessionException;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.io.SessionStream;
import org.netdrivers.support.stream.QueuedStream;

/**
 * A stream over one Apache Mina {@link IoSession}, driven by {@link StreamIoHandler}. A send
 * completes when Mina has written the chunk to the socket. Read suspension and resumption go
 * through the session; the processor that serves it applies them on its own thread (the shared
 * I/O threads' processors do so for every caller). A relay of the I/O threads can take the session
 * over ({@link #handOver()}).
 */
public final class MinaByteStream extends QueuedStream implements SessionStream {

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
        /** @return completes once the end is sent (a TLS close_notify written, say): the session may close after it */
        CompletionStage<Void> shutdownOutput(IoSession session) throws IOException;
    }

    private final IoSession session;
    private final HalfCloser halfCloser;
    private final Mode mode;
    private final int maxMessage;
    private WriteFuture lastWrite; // guarded by this
    /** Bytes handed to the session by {@link #send}, in all; guarded by this. */
    private long handedBytes;

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

    @Override
    public IoSession session() {
        return session;
    }

    @Override
    protected void suspendReading() {
        session.suspendRead();
    }

    @Override
    protected void resumeReading() {
        session.resumeRead();
    }

    /**
     * Mina keeps writing what was sent before a hand-over, in order, ahead of a relay's writes. A
     * TLS session an acceptor accepted (a tls:// export's client) is ready once its handshake is
     * done: a relay reads and writes its plaintext. One a connector opened (the fleet's stream to
     * another runtime) keeps its stream, which counts its plaintext and names the remote endpoint
     * in its failures.
     */
    @Override
    public boolean readyForHandOver() {
        return !isClosed() && (!MinaTransports.isTls(session)
                || session.isServer() && session.getAttribute(org.apache.mina.filter.ssl.SslFilter.SSL_SECURED) != null);
    }

    /** A relay's end of what this stream's session sends: as {@link #sendEof()} ends it (TCP half-close; TLS: close_notify first). */
    @Override
    public CompletionStage<Void> shutdownOutput() throws IOException {
        return halfCloser.shutdownOutput(session);
    }

    /** Bytes read from the session (Mina counts them, also while a relay has the session). */
    @Override
    public long bytesIn() {
        return session.getReadBytes();
    }

    /** Bytes written to the session. */
    @Override
    public long bytesOut() {
        return session.getWrittenBytes();
    }

    @Override
    protected void closeTransport() {
        session.closeNow();
    }

    // ---- events from StreamIoHandler, on a Mina I/O thread

    /**
     * A direct buffer is one of the I/O threads' pooled read buffers: its bytes are copied out
     * (the copy the JDK makes of a heap buffer anyway) and it goes back to its pool.
     */
    void onMessage(IoBuffer buffer) {
        if (!buffer.hasRemaining()) {
            return;
        }
        ByteBuffer chunk = buffer.buf();
        if (chunk.isDirect()) {
            chunk = ByteBuffer.allocate(chunk.remaining()).put(chunk).flip();
            buffer.free();
        }
        delivered(chunk);
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
            return;
        }
        // only a session given an idle time has one (an export's connection, idle_timeout_s)
        int seconds = session.getConfig().getBothIdleTime();
        close(new org.netdrivers.support.stream.IdleTimeoutException(label + ": closed after " + seconds
                + " s without a byte either way (idle_timeout_s)"));
    }

    void onSessionClosed() {
        failWriteUnderWay();
        // a datagram session that expired simply ends
        transportClosed(mode != Mode.STREAM);
    }

    /**
     * Fails the write Mina was making when the session closed (a peer that reset, a failed write):
     * Mina fails the writes queued behind it when it removes the session, but leaves that one
     * undone, and the send waiting for it would never end.
     */
    private void failWriteUnderWay() {
        WriteRequest current = session.getCurrentWriteRequest();
        if (current == null) {
            return;
        }
        WriteToClosedSessionException cause = new WriteToClosedSessionException(current);
        for (WriteRequest r : new WriteRequest[] {current, current.getOriginalRequest()}) {
            if (r != null && !r.getFuture().isDone()) {
                r.getFuture().setException(cause);
            }
        }
    }

    // ---- ByteStream

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        int n = chunk.remaining();
        WriteFuture write;
        long end;
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
            handedBytes += n;
            end = handedBytes;
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        write.addListener(f -> {
            WriteFuture wf = (WriteFuture) f;
            if (!wf.isWritten()) {
                result.completeExceptionally(writeFailure(wf.getException()));
            } else if (session.getWrittenBytes() < end && session.isClosing()) {
                // Mina's close marks the writes it discards as written (AbstractIoSession.destroy);
                // the session has not written this far, so this chunk was discarded
                result.completeExceptionally(new StreamClosedException(label + ": closed before the chunk was written"));
            } else {
                result.complete(null);
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
                halfCloser.shutdownOutput(session).whenComplete((v, e) -> {
                    if (e == null) {
                        result.complete(null);
                    } else {
                        result.completeExceptionally(new StreamClosedException(label + ": half-close failed: " + e.getMessage(), e));
                    }
                });
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
