package org.netdrivers.io.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.buffer.SimpleBufferAllocator;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Mina's allocator while I/O threads run: a processor's read buffer on a thread marked as an I/O
 * thread is direct and pooled, every other buffer as by Mina's default; wrapped buffers never
 * pooled; Mina's default back after the last user.
 */
public class IoThreadBuffersTest {
    private ExecutorService ioThread;

    @Before
    public void setUp() {
        IoThreadBuffers.use();
        ioThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "io-thread-buffers-test"));
    }

    @After
    public void tearDown() throws Exception {
        ioThread.shutdown();
        ioThread.awaitTermination(10, TimeUnit.SECONDS);
        IoThreadBuffers.release();
    }

    private <T> T onIoThread(java.util.concurrent.Callable<T> work) throws Exception {
        return ioThread.submit(() -> {
            IoThreadBuffers.markCurrentThread();
            return work.call();
        }).get(10, TimeUnit.SECONDS);
    }

    /** What Mina's processor does for one read: says a read follows, then allocates its buffer. */
    private static IoBuffer readBuffer(int capacity) {
        IoThreadBuffers.readFollows();
        return IoBuffer.allocate(capacity);
    }

    @Test
    public void onAnIoThreadAReadBufferIsDirectAndComesBackAfterFree() throws Exception {
        onIoThread(() -> {
            IoBuffer first = readBuffer(5000);
            assertTrue("direct on an I/O thread", first.isDirect());
            assertEquals("the limit is what was asked for", 5000, first.limit());
            ByteBuffer memory = first.buf();
            first.free();
            first.free(); // a second free (Mina frees what it wrote too) changes nothing
            IoBuffer second = readBuffer(6000); // same size class (8 KiB)
            assertSame("the freed buffer is used again", memory, second.buf());
            assertEquals(0, second.position());
            assertEquals(6000, second.limit());
            IoBuffer third = readBuffer(6000);
            assertNotSame("a buffer in use is not handed out twice", memory, third.buf());
            third.free();
            IoBuffer other = IoBuffer.allocate(6000);
            assertFalse("any other buffer on the thread is as by default (heap)", other.isDirect());
            assertNotSame(third.buf(), other.buf());
            return null;
        });
    }

    /** A stand-in for a JVM whose direct memory is used up (-XX:MaxDirectMemorySize), which a test cannot safely make. */
    @Test
    public void withNoDirectMemoryLeftAReadGetsAHeapBuffer() throws Exception {
        long before = IoThreadBuffers.heapReads();
        IoBuffer read = ioThread.submit(() -> {
            IoThreadBuffers.markCurrentThread(size -> {
                throw new OutOfMemoryError("Cannot reserve " + size + " bytes of direct buffer memory (a test's stand-in)");
            });
            return readBuffer(5000);
        }).get(10, TimeUnit.SECONDS);
        assertFalse("heap instead", read.isDirect());
        assertEquals(5000, read.limit());
        assertEquals("counted (and said in a WARN line)", before + 1, IoThreadBuffers.heapReads());
    }

    @Test
    public void aWrappedBufferIsNeverPooled() throws Exception {
        onIoThread(() -> {
            ByteBuffer callers = ByteBuffer.allocateDirect(4096);
            IoBuffer wrapped = IoBuffer.wrap(callers);
            wrapped.free(); // what Mina does once it has written it
            assertNotSame("the caller's buffer is not handed out for a read", callers, readBuffer(4096).buf());
            return null;
        });
    }

    @Test
    public void aViewIsNeverPooledAndAFreeOnAnotherThreadKeepsNothing() throws Exception {
        IoBuffer pooled = onIoThread(() -> readBuffer(4096));
        ByteBuffer memory = pooled.buf();
        pooled.duplicate().free();
        pooled.free(); // not the owner thread: dropped, not pooled
        onIoThread(() -> {
            assertNotSame("freed on another thread: not kept", memory, readBuffer(4096).buf());
            return null;
        });
    }

    @Test
    public void offTheIoThreadsMinasDefaultBehaviourStays() {
        IoThreadBuffers.readFollows(); // not an I/O thread: nothing to follow
        IoBuffer heap = IoBuffer.allocate(4096);
        assertFalse("heap elsewhere", heap.isDirect());
        assertTrue(heap.hasArray());
        assertTrue("direct when asked for", IoBuffer.allocate(4096, true).isDirect());
        IoBuffer growing = IoBuffer.allocate(16).setAutoExpand(true);
        growing.put(new byte[100]);
        assertEquals(100, growing.position());
    }

    @Test
    public void minasDefaultComesBackWithTheLastUser() {
        assertTrue(IoBuffer.getAllocator() instanceof IoThreadBuffers);
        IoThreadBuffers.use();
        IoThreadBuffers.release();
        assertTrue("still used by one", IoBuffer.getAllocator() instanceof IoThreadBuffers);
        IoThreadBuffers.release();
        assertSame(SimpleBufferAllocator.class, IoBuffer.getAllocator().getClass());
        IoThreadBuffers.use(); // for tearDown
    }

    @Test
    public void anotherBundlesAllocatorIsKept() {
        IoThreadBuffers.release();
        org.apache.mina.core.buffer.CachedBufferAllocator theirs = new org.apache.mina.core.buffer.CachedBufferAllocator();
        IoBuffer.setAllocator(theirs);
        try {
            IoThreadBuffers.use();
            assertSame("not replaced", theirs, IoBuffer.getAllocator());
            IoThreadBuffers.release();
            assertSame("not replaced at release either", theirs, IoBuffer.getAllocator());
        } finally {
            IoBuffer.setAllocator(new SimpleBufferAllocator());
            IoThreadBuffers.use(); // for tearDown
        }
    }
}
