package org.netdrivers.io.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;

import org.netdrivers.io.ChannelStream;
import org.netdrivers.io.Handover;
import org.netdrivers.io.SelectorLoop;

/**
 * Two socket channels of one selector loop spliced: what one reads is written to the other at
 * once, on the loop's thread, from one direct buffer the loop lends. A write the other side cannot
 * take whole keeps the rest in that buffer (the loop lends another to the next read), stops the
 * reading side and waits for the writing side to become writable: a direction holds at most one
 * buffer. End of input becomes a half-close once the rest is written; when both directions have
 * ended, or either fails, both channels close, and both streams with them.
 */
final class ChannelRelay extends RelayBase {
    /** Reads in a row from one side while each fills the buffer and is written whole. */
    private static final int READS_PER_EVENT = 4;

    private final Buffers buffers;
    private final Side a;
    private final Side b;
    private Throwable failure;
    private boolean closed;

    /**
     * Direct buffers of one loop, lent to reads; only the loop's thread uses them. A buffer stays
     * with a direction while the other side cannot take it; past {@code maxDirect} such buffers
     * the loop lends heap buffers instead (the JDK then copies through a buffer of its own), so
     * that many slow peers cannot exhaust the JVM's direct memory.
     */
    static final class Buffers {
        private final int size;
        private final int keep;
        private final int maxDirect;
        private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
        private int direct; // alive: lent or free

        Buffers(int size, int keep, int maxDirect) {
            this.size = size;
            this.keep = keep;
            this.maxDirect = maxDirect;
        }

        ByteBuffer take() {
            ByteBuffer b = free.poll();
            if (b != null) {
                return b.clear();
            }
            if (direct < maxDirect) {
                direct++;
                return ByteBuffer.allocateDirect(size);
            }
            return ByteBuffer.allocate(size);
        }

        void give(ByteBuffer b) {
            if (!b.isDirect() || b.capacity() != size) {
                return;
            }
            if (free.size() < keep) {
                free.push(b);
            } else {
                direct--; // left to the collector
            }
        }
    }

    ChannelRelay(Buffers buffers, ChannelStream a, ChannelStream b) {
        this.buffers = buffers;
        this.a = new Side(a);
        this.b = new Side(b);
        this.a.peer = this.b;
        this.b.peer = this.a;
    }

    /** On the loop's thread: takes both channels' keys over, then sends on what the streams held. */
    void start(Handover fromA, Handover fromB) {
        a.takeKey();
        b.takeKey();
        a.stream.closed().whenComplete((v, e) -> a.stream.loop().execute(() -> closeBoth(null)));
        b.stream.closed().whenComplete((v, e) -> b.stream.loop().execute(() -> closeBoth(null)));
        a.takeOver(fromA);
        b.takeOver(fromB);
    }

    private void closeBoth(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        if (failure == null) {
            failure = cause;
        }
        a.release();
        b.release();
        a.stream.close();
        b.stream.close();
        ended(failure);
    }

    /** One channel: it reads into {@code peer.pending}'s direction and writes what {@link #pending} holds. */
    private final class Side implements SelectorLoop.Handler {
        final ChannelStream stream;
        final SocketChannel channel;
        Side peer;
        SelectionKey key;
        ByteBuffer pending; // read from peer, not yet written here
        boolean inputEnded;
        boolean outputShut;

        Side(ChannelStream stream) {
            this.stream = stream;
            this.channel = stream.channel();
        }

        void takeKey() {
            key = stream.loop().keyFor(channel);
            key.attach(this);
            key.interestOps(0);
        }

        void takeOver(Handover held) {
            if (closed) {
                return;
            }
            try {
                sendHeld(held);
            } catch (IOException e) {
                closeBoth(e);
            }
        }

        private void sendHeld(Handover held) throws IOException {
            List<ByteBuffer> chunks = held.chunks();
            if (!chunks.isEmpty()) {
                int total = 0;
                for (ByteBuffer c : chunks) {
                    total += c.remaining();
                }
                ByteBuffer all = ByteBuffer.allocate(total);
                chunks.forEach(all::put);
                stream.relayed(total, 0);
                peer.send(all.flip(), this);
            }
            if (held.inputEnded()) {
                endOfInput();
            } else if (peer.pending == null) {
                interest(SelectionKey.OP_READ, true);
            }
        }

        @Override
        public void ready(SelectionKey k) {
            try {
                if (k.isValid() && k.isWritable()) {
                    flush();
                }
                if (k.isValid() && k.isReadable() && !closed) {
                    read();
                }
            } catch (IOException e) {
                closeBoth(e);
            }
        }

        @Override
        public void loopClosed() {
            closeBoth(null);
        }

        private void read() throws IOException {
            for (int i = 0; i < READS_PER_EVENT && !closed; i++) {
                ByteBuffer buf = buffers.take();
                int n = channel.read(buf);
                if (n <= 0) {
                    buffers.give(buf);
                    if (n < 0) {
                        endOfInput();
                    }
                    return;
                }
                stream.relayed(n, 0); // counted as it goes: statistics and idle checks see it live
                boolean full = !buf.hasRemaining();
                if (!peer.send(buf.flip(), this) || !full) {
                    return; // the other side is full, or the socket had no more
                }
            }
        }

        /**
         * Writes {@code chunk} (read by {@code from}) here; what does not fit stays in
         * {@link #pending} and {@code from} stops reading until it is written.
         *
         * @return whether all of it was written
         */
        boolean send(ByteBuffer chunk, Side from) throws IOException {
            stream.relayed(0, channel.write(chunk));
            if (!chunk.hasRemaining()) {
                buffers.give(chunk);
                return true;
            }
            pending = chunk;
            holding(chunk.remaining());
            from.interest(SelectionKey.OP_READ, false);
            interest(SelectionKey.OP_WRITE, true);
            return false;
        }

        private void flush() throws IOException {
            if (pending == null) {
                interest(SelectionKey.OP_WRITE, false);
                return;
            }
            stream.relayed(0, channel.write(pending));
            if (pending.hasRemaining()) {
                return;
            }
            buffers.give(pending);
            pending = null;
            interest(SelectionKey.OP_WRITE, false);
            if (peer.inputEnded) {
                shutdownOutput();
            } else {
                peer.interest(SelectionKey.OP_READ, true);
            }
        }

        private void endOfInput() throws IOException {
            inputEnded = true;
            interest(SelectionKey.OP_READ, false);
            if (peer.pending == null) {
                peer.shutdownOutput();
            }
        }

        private void shutdownOutput() throws IOException {
            if (outputShut) {
                return;
            }
            outputShut = true;
            channel.shutdownOutput();
            if (a.inputEnded && b.inputEnded && a.outputShut && b.outputShut) {
                closeBoth(null); // both directions ended
            }
        }

        private void interest(int op, boolean on) {
            if (key.isValid()) {
                int ops = key.interestOps();
                key.interestOps(on ? ops | op : ops & ~op);
            }
        }

        void release() {
            if (pending != null) {
                buffers.give(pending);
                pending = null;
            }
        }
    }
}
