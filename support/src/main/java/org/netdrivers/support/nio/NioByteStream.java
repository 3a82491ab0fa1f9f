package org.netdrivers.support.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.netdrivers.io.ChannelStream;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.stream.QueuedStream;

/**
 * A stream over one non-blocking {@link SocketChannel} (a JDK channel, or junixsocket's for Unix
 * sockets and vsock) served by a {@link SelectorLoop}. A send completes when the chunk is written
 * to the socket; {@link #sendEof()} shuts the output down once every earlier send is written.
 */
public final class NioByteStream extends QueuedStream implements SelectorLoop.Handler, ChannelStream {
    public static final int MAX_CHUNK = 64 * 1024 - 64;

    private final SelectorLoop loop;
    private final SocketChannel channel;
    private final boolean zeroMeansEnd;
    private SelectionKey key; // loop thread only
    private boolean reading = true; // loop thread only: whether the receive side wants bytes
    private boolean hungUp; // loop thread only: the selector dropped the key (see dropped)
    private boolean draining; // loop thread only: drainHungUp is running
    private final ArrayDeque<Write> writes = new ArrayDeque<>(); // guarded by this
    private boolean eofRequested; // guarded by this
    private CompletableFuture<Void> eofDone; // guarded by this

    private record Write(ByteBuffer chunk, int size, CompletableFuture<Void> done) {
    }

    /**
     * @param channel a connected channel; this stream owns it from now on
     * @param limit bound on bytes in flight on the receive side
     */
    public NioByteStream(SelectorLoop loop, SocketChannel channel, String label, long limit) {
        super(label, Math.max(limit, 4L * MAX_CHUNK), MAX_CHUNK, false);
        this.loop = loop;
        this.channel = channel;
        this.zeroMeansEnd = channel.provider() != java.nio.channels.spi.SelectorProvider.provider();
    }

    /** Starts reading; call once, after construction. */
    public NioByteStream start() {
        loop.execute(() -> {
            try {
                key = loop.register(channel, SelectionKey.OP_READ, this);
            } catch (IOException | RuntimeException e) {
                transportFailed(e);
                close();
            }
        });
        return this;
    }

    @Override
    public SocketChannel channel() {
        return channel;
    }

    @Override
    public SelectorLoop loop() {
        return loop;
    }

    /** On the loop's thread: registered, nothing waiting to be written, not closing. */
    @Override
    public synchronized boolean readyForHandOver() {
        return loop.inLoop() && key != null && writes.isEmpty() && !eofRequested && !isClosed();
    }

    @Override
    public void relayed(long bytesIn, long bytesOut) {
        addRelayed(bytesIn, bytesOut);
    }

    @Override
    public void ready(SelectionKey k) {
        if (k.isValid() && k.isReadable()) {
            // junixsocket's non-blocking read reports the peer's end of stream as 0 bytes on a
            // socket its selector called readable, not -1 (and reports it only once)
            read(zeroMeansEnd);
        }
        if (k.isValid() && k.isWritable()) {
            flush();
        }
    }

    /**
     * One read.
     *
     * @param nothingMeansEnd whether a read of 0 bytes is the end of the input
     * @return whether bytes came
     */
    private boolean read(boolean nothingMeansEnd) {
        ByteBuffer buf = ByteBuffer.allocate(MAX_CHUNK);
        int n;
        try {
            n = channel.read(buf);
        } catch (IOException e) {
            fail(e);
            return false;
        }
        if (n > 0) {
            delivered(buf.flip());
            return true;
        }
        if (n < 0 || nothingMeansEnd) {
            endOfInput(); // stops reading
        }
        return false;
    }

    private void interest(int op, boolean on) {
        loop.execute(() -> {
            if (op == SelectionKey.OP_READ) {
                reading = on;
            }
            if (hungUp) {
                if (op == SelectionKey.OP_READ && on) {
                    drainHungUp();
                } else if (op == SelectionKey.OP_WRITE && on) {
                    fail(new IOException("the peer hung up with bytes of this stream not yet written"));
                }
            } else if (key != null && key.isValid()) {
                key.interestOps(on ? key.interestOps() | op : key.interestOps() & ~op);
            }
        });
    }

    /**
     * junixsocket's selector reported a hang-up or an error and gives this channel no more events
     * (see {@link SelectorLoop.Handler#dropped}): what is queued is written (or fails), and what
     * is left to read is read now, as the receive side wants it: after a hang-up nothing more can
     * arrive, so a read that finds nothing is the end of the input.
     */
    @Override
    public void dropped(SelectionKey k) {
        if (k != key || hungUp || isClosed()) {
            return;
        }
        hungUp = true;
        flush();
        if (reading) {
            drainHungUp();
        }
    }

    private void drainHungUp() {
        if (draining) {
            return; // resumed from within a delivery: the loop below goes on
        }
        draining = true;
        try {
            while (reading && !isClosed() && read(true)) {
                // a delivery that fills the receive side stops reading; a receive resumes it
            }
        } finally {
            draining = false;
        }
    }

    @Override
    protected void suspendReading() {
        interest(SelectionKey.OP_READ, false);
    }

    @Override
    protected void resumeReading() {
        interest(SelectionKey.OP_READ, true);
    }

    @Override
    protected void closeTransport() {
        java.util.List<Write> failed;
        synchronized (this) {
            failed = new java.util.ArrayList<>(writes);
            writes.clear();
        }
        for (Write w : failed) {
            w.done.completeExceptionally(writeFailure(null));
        }
        loop.execute(() -> {
            if (key != null) {
                key.cancel();
            }
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
            transportClosed(false);
        });
    }

    private void fail(IOException e) {
        transportFailed(e);
        close(new org.netdrivers.api.StreamClosedException(label + ": " + e.getMessage(), e));
    }

    /** Writes what is queued, on the loop thread; waits for OP_WRITE when the socket is full. */
    private void flush() {
        while (true) {
            Write w;
            synchronized (this) {
                w = writes.peek();
                if (w == null) {
                    break;
                }
            }
            try {
                channel.write(w.chunk);
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (w.chunk.hasRemaining()) {
                interest(SelectionKey.OP_WRITE, true);
                return;
            }
            synchronized (this) {
                writes.poll();
            }
            bytesOut.addAndGet(w.size);
            w.done.complete(null);
        }
        interest(SelectionKey.OP_WRITE, false);
        CompletableFuture<Void> eof = null;
        synchronized (this) {
            // a send made after the loop above found nothing, with sendEof after it, is written first
            if (eofRequested && eofDone != null && writes.isEmpty()) {
                eof = eofDone;
                eofDone = null;
            }
        }
        if (eof != null) {
            try {
                channel.shutdownOutput();
                eof.complete(null);
            } catch (IOException e) {
                eof.completeExceptionally(writeFailure(e));
            }
        }
    }

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        int n = chunk.remaining();
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            CompletableFuture<Void> refused = checkSend();
            if (refused != null) {
                return refused;
            }
            if (n == 0) {
                return CompletableFuture.completedFuture(null);
            }
            writes.add(new Write(chunk, n, done));
        }
        loop.execute(this::flush);
        return done;
    }

    @Override
    public CompletionStage<Void> sendEof() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            CompletableFuture<Void> now = checkSendEof();
            if (now != null) {
                return now;
            }
            eofRequested = true;
            eofDone = done;
        }
        loop.execute(this::flush);
        return done;
    }
}
