package org.netdrivers.echo.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.netdrivers.support.stream.QueuedStream;

/**
 * An in-memory stream that returns every chunk sent, as its own chunk, in order: its own sends are
 * its transport's input, with the receive side, close and accounting of every stream
 * ({@link QueuedStream}). Where a socket stream would stop reading near its limit, the echo stops
 * completing sends: a sender that waits for each send holds at most the limit and one chunk, and
 * its waiting sends complete once the receiver has drained about half of it.
 * {@code sendEof()} makes receive report end of stream after the queued chunks.
 */
final class EchoStream extends QueuedStream {
    // guarded by this
    private final ArrayDeque<CompletableFuture<Void>> waitingSends = new ArrayDeque<>();
    private boolean full;

    EchoStream(String label, long limit) {
        super(label, limit, 1, false);
    }

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        CompletableFuture<Void> refused = checkSend();
        if (refused != null) {
            return refused;
        }
        ByteBuffer copy = ByteBuffer.allocate(chunk.remaining()).put(chunk.duplicate()).flip();
        bytesOut.addAndGet(copy.remaining());
        synchronized (this) {
            delivered(copy); // may find the stream full: this send then waits
            if (full) {
                CompletableFuture<Void> waiting = new CompletableFuture<>();
                waitingSends.add(waiting);
                return waiting;
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> sendEof() {
        CompletableFuture<Void> now = checkSendEof();
        if (now != null) {
            return now;
        }
        endOfInput();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected void suspendReading() {
        full = true;
    }

    /**
     * Called with this stream's lock held (from a receive): the waiting sends complete on another
     * thread, so that what their senders do next never runs under this lock (a bridge's next step
     * takes the other stream's lock, and that stream's thread may be sending here).
     */
    @Override
    protected void resumeReading() {
        full = false;
        List<CompletableFuture<Void>> released = new ArrayList<>(waitingSends);
        waitingSends.clear();
        released.forEach(f -> f.completeAsync(() -> null));
    }

    @Override
    protected void closeTransport() {
        List<CompletableFuture<Void>> failed;
        synchronized (this) {
            failed = new ArrayList<>(waitingSends);
            waitingSends.clear();
        }
        failed.forEach(f -> f.completeExceptionally(writeFailure(null)));
    }
}
