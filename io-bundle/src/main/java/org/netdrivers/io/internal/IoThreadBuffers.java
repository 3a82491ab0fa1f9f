package org.netdrivers.io.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

import org.apache.mina.core.buffer.AbstractIoBuffer;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.buffer.IoBufferAllocator;
import org.apache.mina.core.buffer.SimpleBufferAllocator;
import org.netdrivers.io.EventCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mina's buffer allocator while I/O threads run. The buffer an I/O thread's processor reads a
 * socket into, and every buffer a datagram acceptor's thread allocates (each one a datagram is
 * read into), is a direct buffer from that thread's pool; every other buffer, and what
 * {@link IoBuffer#wrap} makes, is what Mina's default allocator makes (heap unless direct is asked
 * for, never pooled, {@code free()} does nothing).
 *
 * <p>Why: with Mina's default, every read allocates a zeroed heap buffer, and the JDK copies each
 * chunk through a direct buffer of its own on the way in and again on the way out. The kernel
 * reads into and writes from a direct buffer itself. A pooled buffer goes back to its pool when
 * it is freed on its thread: a relay frees what it read once Mina has written it to the other
 * socket ({@code SessionRelay}), and a stream that keeps the bytes copies them out and frees the
 * buffer ({@code MinaByteStream}). One that is never freed is garbage like any other. When direct
 * memory runs out, reads get heap buffers (a WARN line a minute) instead of failing.
 *
 * <p>Why not Mina's {@code CachedBufferAllocator}: it pools on every thread, and pools what
 * {@code wrap} made too, so a caller's own buffer, once written and freed, could be handed out
 * for the next read while the caller still uses it.
 *
 * <p>The allocator is one setting for the whole Mina bundle ({@link IoBuffer#setAllocator}), and
 * Mina 2.2 sets it again to the allocator of every buffer constructed. This one is set only over
 * Mina's default, whose behaviour it keeps off the I/O threads, so other bundles' Mina sessions
 * see no change; if another bundle chose an allocator, that one stays and the I/O threads use it.
 * Mina's default comes back when the last I/O threads close.
 */
final class IoThreadBuffers implements IoBufferAllocator {
    private static final Logger LOG = LoggerFactory.getLogger(IoThreadBuffers.class);
    /** Free buffers a thread keeps per size (at the relay's chunk, 2 MiB). */
    private static final int KEPT_PER_SIZE = 8;
    /** Smallest and largest pooled sizes (powers of two); others are allocated as Mina's default does. */
    private static final int SMALLEST_POOLED = 1 << 10;
    private static final int LARGEST_POOLED = 1 << 20;

    private static final ThreadLocal<Pool> POOL = new ThreadLocal<>();
    private static final java.util.concurrent.atomic.AtomicLong MADE = new java.util.concurrent.atomic.AtomicLong();
    private static final EventCounter OUT_OF_DIRECT_MEMORY = new EventCounter(60_000, true);
    private static IoThreadBuffers installed; // guarded by the class
    private static int users; // guarded by the class

    private IoThreadBuffers() {}

    /** @return the direct buffers the pools have made so far (a buffer used again is not counted again) */
    static long made() {
        return MADE.get();
    }

    /** The calling thread is an I/O thread: the buffers its processor reads into are direct and pooled. */
    static void markCurrentThread() {
        markCurrentThread(ByteBuffer::allocateDirect);
    }

    /** @param direct makes the pool's direct buffers (a test makes one that finds direct memory used up) */
    static void markCurrentThread(java.util.function.IntFunction<ByteBuffer> direct) {
        if (POOL.get() == null) {
            POOL.set(new Pool(direct));
        }
    }

    /**
     * The calling thread runs a Mina datagram acceptor's loop: every buffer allocated on it is one
     * that the acceptor reads a datagram into (its handlers wrap what they send, and allocate none),
     * so each comes from the pool.
     */
    static void markAcceptorThread() {
        markCurrentThread();
        POOL.get().readsOnly = true;
    }

    /** Sets this allocator over Mina's default, for the first I/O threads that open. */
    static synchronized void use() {
        if (users++ > 0) {
            return;
        }
        IoBufferAllocator current = IoBuffer.getAllocator();
        if (current.getClass() != SimpleBufferAllocator.class) {
            LOG.info("Mina's buffer allocator is {}, set by another bundle: the I/O threads use it too "
                    + "(their pooled direct buffers are left out)", current.getClass().getName());
            return;
        }
        installed = new IoThreadBuffers();
        IoBuffer.setAllocator(installed); // disposes of Mina's default, which holds nothing
    }

    /** Puts Mina's default back when the last I/O threads have closed, unless another was set since. */
    static synchronized void release() {
        if (--users > 0 || installed == null) {
            return;
        }
        if (IoBuffer.getAllocator() == installed) {
            IoBuffer.setAllocator(new SimpleBufferAllocator());
        }
        installed = null;
    }

    /**
     * The calling I/O thread's processor is about to read a socket: the next buffer allocated on
     * this thread is the one it reads into (Mina's processor allocates it first thing), and comes
     * from the pool. Other buffers allocated on the thread (TLS records, a handler's own) are as by
     * default: they are freed where nothing gives them back to a pool.
     */
    static void readFollows() {
        Pool pool = POOL.get();
        if (pool != null) {
            pool.readFollows = true;
        }
    }

    @Override
    public IoBuffer allocate(int capacity, boolean direct) {
        Pool pool = POOL.get();
        if (pool != null && (pool.readFollows || pool.readsOnly)) {
            pool.readFollows = false;
            Buffer pooled = pool.take(this, capacity);
            if (pooled != null) {
                return pooled;
            }
        }
        return new Buffer(this, allocateNioBuffer(capacity, direct), null);
    }

    /** A buffer as Mina's default makes it (also what replaces a growing buffer's own): never pooled. */
    @Override
    public ByteBuffer allocateNioBuffer(int capacity, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    /** A wrapped buffer belongs to whoever passed it: never pooled, so never reused behind its owner's back. */
    @Override
    public IoBuffer wrap(ByteBuffer nioBuffer) {
        return new Buffer(this, nioBuffer, null);
    }

    /** Mina calls this whenever it sets the allocator again, even to this one: nothing to let go. */
    @Override
    public void dispose() {
        // pooled buffers go with their threads
    }

    /** @return the reads that got a heap buffer because direct memory was used up */
    static long heapReads() {
        return OUT_OF_DIRECT_MEMORY.total();
    }

    /** Direct memory is used up (the JDK tried a GC first): this read gets a heap buffer, said once a minute. */
    private static void outOfDirectMemory(OutOfMemoryError e) {
        EventCounter.Due due = OUT_OF_DIRECT_MEMORY.count();
        if (due != null) {
            LOG.warn("I/O threads: no direct memory left for a read buffer ({}); {} read(s) used a heap buffer instead "
                    + "in the last {} s, {} in all. Raise -XX:MaxDirectMemorySize, or lower the registry's buffer_bytes",
                    e.getMessage(), due.count(), due.seconds(), due.total());
        }
    }

    /** One I/O thread's free direct buffers, by size; used by that thread alone. */
    private static final class Pool {
        private final Thread owner = Thread.currentThread();
        private final java.util.function.IntFunction<ByteBuffer> direct;
        /** The next allocation is a processor's read buffer ({@link #readFollows}). */
        boolean readFollows;
        /** Every allocation is a read buffer: a datagram acceptor's thread ({@link #markAcceptorThread}). */
        boolean readsOnly;

        Pool(java.util.function.IntFunction<ByteBuffer> direct) {
            this.direct = direct;
        }
        @SuppressWarnings("unchecked")
        private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[Integer.numberOfTrailingZeros(LARGEST_POOLED) + 1];

        /** @return a pooled buffer of at least {@code capacity}; null when that size is not pooled, or no direct memory is left */
        Buffer take(IoThreadBuffers allocator, int capacity) {
            if (capacity < SMALLEST_POOLED || capacity > LARGEST_POOLED) {
                return null;
            }
            int size = Integer.highestOneBit(capacity - 1) << 1; // the power of two at or above
            ArrayDeque<ByteBuffer> kept = free[Integer.numberOfTrailingZeros(size)];
            ByteBuffer buf = kept == null ? null : kept.pollLast();
            if (buf == null) {
                try {
                    buf = direct.apply(size);
                    MADE.incrementAndGet();
                } catch (OutOfMemoryError directMemoryFull) { // -XX:MaxDirectMemorySize, by default the heap's maximum
                    outOfDirectMemory(directMemoryFull);
                    return null;
                }
            } else {
                buf.clear().order(ByteOrder.BIG_ENDIAN);
            }
            buf.limit(capacity);
            return new Buffer(allocator, buf, this);
        }

        /** Keeps {@code buf} for a later read, when freed on this pool's thread and there is room. */
        void give(ByteBuffer buf) {
            if (Thread.currentThread() != owner) {
                return;
            }
            int slot = Integer.numberOfTrailingZeros(buf.capacity());
            if (free[slot] == null) {
                free[slot] = new ArrayDeque<>(KEPT_PER_SIZE);
            }
            if (free[slot].size() < KEPT_PER_SIZE) {
                free[slot].addLast(buf);
            }
        }
    }

    /** Mina's buffer over one NIO buffer, which goes back to {@code pool} when freed (if it came from one). */
    private static final class Buffer extends AbstractIoBuffer {
        private ByteBuffer buf;
        /** Where {@code buf} goes when freed; null once it went, or if it came from no pool. */
        private Pool pool;

        Buffer(IoThreadBuffers allocator, ByteBuffer buf, Pool pool) {
            super(allocator, buf.capacity());
            this.buf = buf;
            this.pool = pool;
            buf.order(ByteOrder.BIG_ENDIAN);
        }

        /** A duplicate, slice or read-only view: shares its parent's bytes, never pooled. */
        private Buffer(Buffer parent, ByteBuffer view) {
            super(parent);
            this.buf = view;
        }

        @Override
        public ByteBuffer buf() {
            return buf;
        }

        /** The buffer grew into {@code grown} (not pooled); a pooled old one goes back. */
        @Override
        protected void buf(ByteBuffer grown) {
            ByteBuffer old = buf;
            buf = grown;
            giveBack(old);
        }

        @Override
        protected IoBuffer duplicate0() {
            return new Buffer(this, buf().duplicate());
        }

        @Override
        protected IoBuffer slice0() {
            return new Buffer(this, buf().slice());
        }

        @Override
        protected IoBuffer asReadOnlyBuffer0() {
            return new Buffer(this, buf().asReadOnlyBuffer());
        }

        @Override
        public byte[] array() {
            return buf().array();
        }

        @Override
        public int arrayOffset() {
            return buf().arrayOffset();
        }

        @Override
        public boolean hasArray() {
            return buf().hasArray();
        }

        /**
         * A pooled buffer goes back to its pool; any other stays as it is (as with Mina's default).
         * The bytes are reused by the thread's next pooled allocation: until then, this buffer and
         * its duplicates (Mina writes from one) still read as they did.
         */
        @Override
        public void free() {
            giveBack(buf);
        }

        private void giveBack(ByteBuffer old) {
            Pool from = pool;
            pool = null;
            if (from != null && old != null) {
                from.give(old);
            }
        }
    }
}
