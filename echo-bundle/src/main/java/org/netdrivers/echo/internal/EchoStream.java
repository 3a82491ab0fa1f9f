package org.netdrivers.echo.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.stream.ReasonClosable;

/**
 * An in-memory stream that returns every chunk sent, as its own chunk, in order. At most {@code
 * limit} bytes wait to be received; a send beyond that completes only once the receiver has
 * taken enough. {@code sendEof()} makes receive report end of stream after the queued chunks.
 */
final class EchoStream implements ByteStream, ReasonClosable {
    private final String label;
    private final long limit;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    // guarded by this
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Void>> blockedSends = new ArrayDeque<>();
    private long queued;
    private boolean eof;
    private StreamClosedException closedReason;
    private CompletableFuture<Optional<ByteBuffer>> pending;

    EchoStream(String label, long limit) {
        this.label = label;
        this.limit = limit;
    }

    @Override
    public CompletionStage<Optional<ByteBuffer>> receive() {
        List<CompletableFuture<Void>> released = new ArrayList<>();
        CompletionStage<Optional<ByteBuffer>> result;
        synchronized (this) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(closedReason);
            }
            if (pending != null) {
                return CompletableFuture.failedFuture(new IllegalStateException(label + ": receive() called while one is pending"));
            }
            ByteBuffer chunk = queue.poll();
            if (chunk != null) {
                queued -= chunk.remaining();
                while (!blockedSends.isEmpty() && queued <= limit) {
                    released.add(blockedSends.poll());
                }
                result = CompletableFuture.completedFuture(Optional.of(chunk));
            } else if (eof) {
                result = CompletableFuture.completedFuture(Optional.empty());
            } else {
                pending = new CompletableFuture<>();
                result = pending;
            }
        }
        released.forEach(f -> f.complete(null));
        return result;
    }

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        ByteBuffer copy = ByteBuffer.allocate(chunk.remaining()).put(chunk.duplicate()).flip();
        CompletableFuture<Optional<ByteBuffer>> receiver = null;
        CompletableFuture<Void> result;
        synchronized (this) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(closedReason);
            }
            if (eof) {
                return CompletableFuture.failedFuture(new IllegalStateException(label + ": send() after sendEof()"));
            }
            if (pending != null) {
                receiver = pending;
                pending = null;
                result = CompletableFuture.completedFuture(null);
            } else {
                queue.add(copy);
                queued += copy.remaining();
                if (queued <= limit) {
                    result = CompletableFuture.completedFuture(null);
                } else {
                    result = new CompletableFuture<>();
                    blockedSends.add(result);
                }
            }
        }
        if (receiver != null) {
            receiver.complete(Optional.of(copy));
        }
        return result;
    }

    @Override
    public CompletionStage<Void> sendEof() {
        CompletableFuture<Optional<ByteBuffer>> receiver = null;
        synchronized (this) {
            if (closedReason != null) {
                return CompletableFuture.failedFuture(closedReason);
            }
            eof = true;
            if (pending != null) {
                receiver = pending;
                pending = null;
            }
        }
        if (receiver != null) {
            receiver.complete(Optional.empty());
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        close(new StreamClosedException(label + ": closed"));
    }

    @Override
    public void close(StreamClosedException reason) {
        CompletableFuture<Optional<ByteBuffer>> receiver;
        List<CompletableFuture<Void>> sends;
        synchronized (this) {
            if (closedReason != null) {
                return;
            }
            closedReason = reason;
            queue.clear();
            queued = 0;
            receiver = pending;
            pending = null;
            sends = new ArrayList<>(blockedSends);
            blockedSends.clear();
        }
        if (receiver != null) {
            receiver.completeExceptionally(reason);
        }
        sends.forEach(f -> f.completeExceptionally(reason));
        closed.complete(null);
    }

    @Override
    public CompletionStage<Void> closed() {
        return closed;
    }

    /** @return bytes waiting to be received */
    synchronized long queued() {
        return queued;
    }
}
