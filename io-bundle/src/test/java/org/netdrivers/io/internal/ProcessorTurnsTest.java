package org.netdrivers.io.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The turns of one I/O thread's loop while it relays between two TCP sessions of its own, as an
 * export's relay does: what a chunk costs the loop (socket reads, selects) and that a write asked
 * for after the loop's flush step is still written at once. Real sockets on loopback; the relay is
 * a plain handler that writes what one session reads to the other.
 */
public class ProcessorTurnsTest {
    private static final int BOUND_S = 20;
    /** The processor's loop goes on this long without a session (10 s in the runtime). */
    private static final long IDLE_LOOP_MS = 2_000;

    private OwnedProcessor processor;
    private NioSocketAcceptor acceptor;
    private final CopyOnWriteArrayList<IoSession> sessions = new CopyOnWriteArrayList<>();
    private final AtomicInteger idleWrites = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private volatile long waitsWhenWritten = -1;
    private volatile long waitsWhenSent = -1;
    private volatile Object idleMessage;
    private Socket first;
    private Socket second;

    @Before
    public void setUp() throws Exception {
        processor = new OwnedProcessor("turns-test", new PeerErrors(10_000), IDLE_LOOP_MS);
        acceptor = new NioSocketAcceptor(processor);
        acceptor.setHandler(new IoHandlerAdapter() {
            @Override
            public void sessionOpened(IoSession session) {
                sessions.add(session);
                open.incrementAndGet();
            }

            @Override
            public void sessionClosed(IoSession session) {
                open.decrementAndGet();
            }

            @Override
            public void messageReceived(IoSession session, Object message) {
                other(session).write(message);
            }

            @Override
            public void exceptionCaught(IoSession session, Throwable cause) {
                // the relay's writes still queued when a test closes its sockets; nothing to check
            }

            @Override
            public void sessionIdle(IoSession session, IdleStatus status) {
                // runs in the loop's idle check, after its flush step
                if (idleWrites.getAndDecrement() > 0) {
                    waitsWhenWritten = processor.waitsToTheEnd();
                    idleMessage = IoBuffer.wrap("idle\n".getBytes(StandardCharsets.US_ASCII));
                    session.write(idleMessage);
                }
            }

            @Override
            public void messageSent(IoSession session, Object message) {
                if (message == idleMessage) {
                    waitsWhenSent = processor.waitsToTheEnd(); // on the loop's thread, as the write's flush ends
                }
            }
        });
        acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        first = connect(1);
        second = connect(2);
    }

    private Socket connect(int expected) throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), acceptor.getLocalAddress().getPort());
        s.setTcpNoDelay(true);
        s.setSoTimeout(BOUND_S * 1000);
        await(() -> sessions.size() >= expected);
        assertEquals("sessions opened", expected, sessions.size());
        return s;
    }

    /** Waits until {@code done}, at most {@link #BOUND_S}; the caller then asserts what it waited for. */
    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    private IoSession other(IoSession session) {
        return session == sessions.get(0) ? sessions.get(1) : sessions.get(0);
    }

    @After
    public void tearDown() throws Exception {
        first.close();
        second.close();
        acceptor.dispose(true);
        processor.shutdown();
    }

    /**
     * A request and its answer, 64 bytes each, 500 times: each chunk costs the loop one read of a
     * socket (the read that would find nothing left is not made) and no select that only polls
     * (the write of what was just read is flushed in the same turn). Before: two reads a chunk and
     * a poll after each.
     */
    @Test(timeout = 60_000)
    public void aRelayedChunkCostsOneSocketReadAndNoPoll() throws Exception {
        byte[] request = new byte[64];
        byte[] got = new byte[64];
        DataInputStream atSecond = new DataInputStream(second.getInputStream());
        DataInputStream atFirst = new DataInputStream(first.getInputStream());
        exchange(request, got, atSecond, atFirst, 20); // the sessions settle
        long reads = processor.socketReads();
        long polls = processor.polls();
        int rounds = 500;
        exchange(request, got, atSecond, atFirst, rounds);
        long chunks = 2L * rounds;
        long readsMade = processor.socketReads() - reads;
        long pollsMade = processor.polls() - polls;
        assertTrue("socket reads for " + chunks + " chunks: " + readsMade, readsMade <= chunks + chunks / 20);
        assertTrue("selects that only polled for " + chunks + " chunks: " + pollsMade, pollsMade <= chunks / 20);
    }

    private void exchange(byte[] request, byte[] got, DataInputStream atSecond, DataInputStream atFirst, int rounds)
            throws Exception {
        OutputStream toFirst = first.getOutputStream();
        OutputStream toSecond = second.getOutputStream();
        for (int i = 0; i < rounds; i++) {
            request[0] = (byte) i;
            toFirst.write(request);
            atSecond.readFully(got);
            assertEquals("request " + i, (byte) i, got[0]);
            toSecond.write(got);
            atFirst.readFully(got);
            assertEquals("answer " + i, (byte) i, got[0]);
        }
    }

    /**
     * A handler that writes from the loop's idle check, after the loop's flush step (as a write
     * from a close or an idle event does): the write goes out at once, not when the loop's next
     * select ends by itself (Mina waits up to 1 s for the next event).
     */
    @Test(timeout = 60_000)
    public void aWriteAskedForAfterTheFlushStepGoesOutWithoutWaitingForTheSelect() throws Exception {
        DataInputStream atSecond = new DataInputStream(second.getInputStream());
        idleWrites.set(1);
        sessions.get(1).getConfig().setIdleTime(IdleStatus.BOTH_IDLE, 1);
        byte[] idle = new byte[5];
        atSecond.readFully(idle);
        assertEquals("idle\n", new String(idle, StandardCharsets.US_ASCII));
        await(() -> waitsWhenSent >= 0);
        assertTrue("the write was made and said sent", waitsWhenWritten >= 0 && waitsWhenSent >= 0);
        // both read on the loop's thread: the count cannot move for reasons of this thread's scheduling
        assertEquals("selects that waited their whole timeout between the write and its flush",
                waitsWhenWritten, waitsWhenSent);
    }

    /**
     * Connections one after another, each closed before the next comes: the processor's loop
     * serves them all, where Mina ended it when the last session left and had it handed to the
     * thread again for the next (the old processor's loop started once per connection here).
     */
    @Test(timeout = 60_000)
    public void connectionsOneAfterAnotherKeepTheLoop() throws Exception {
        first.close();
        second.close();
        awaitOpen(0);
        long starts = processor.loopStarts();
        for (int i = 0; i < 20; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), acceptor.getLocalAddress().getPort())) {
                awaitOpen(1);
            }
            awaitOpen(0);
            Thread.sleep(20); // the loop, woken by the removal, has polled and found no session
        }
        assertEquals("loop starts for 20 connections one after another", starts, processor.loopStarts());
    }

    /**
     * A session that stays longer than the loop's idle time, after the loop had already been
     * without a session for a while: the idle time counts from that session's end, so the next
     * connection, soon after, finds the loop running (it was ended at once when the idle time
     * counted from before that session).
     */
    @Test(timeout = 60_000)
    public void theLoopsIdleTimeCountsFromTheLastSessionsEnd() throws Exception {
        first.close();
        second.close();
        awaitOpen(0);
        Thread.sleep(IDLE_LOOP_MS / 4); // the loop is without a session, and counting
        long starts = processor.loopStarts();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), acceptor.getLocalAddress().getPort())) {
            awaitOpen(1);
            Thread.sleep(IDLE_LOOP_MS + IDLE_LOOP_MS / 4); // longer than the idle time
        }
        awaitOpen(0);
        Thread.sleep(20); // the loop, woken by the removal, has polled and found no session
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), acceptor.getLocalAddress().getPort())) {
            awaitOpen(1);
        }
        assertEquals("loop starts for a connection soon after a long one", starts, processor.loopStarts());
    }

    private void awaitOpen(int expected) throws InterruptedException {
        await(() -> open.get() == expected);
        assertEquals("sessions open", expected, open.get());
    }

    /** 32 MiB each way at once, in writes of odd sizes: every byte arrives, in order, both ways. */
    @Test(timeout = 120_000)
    public void bulkBothWaysArrivesWhole() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            int size = 32 << 20;
            Future<byte[]> sentOne = pool.submit(() -> send(first.getOutputStream(), size, 1));
            Future<byte[]> sentTwo = pool.submit(() -> send(second.getOutputStream(), size, 2));
            Future<byte[]> gotAtSecond = pool.submit(() -> receive(second.getInputStream(), size));
            Future<byte[]> gotAtFirst = pool.submit(() -> receive(first.getInputStream(), size));
            assertArrayEquals("first to second", sentOne.get(BOUND_S * 3, TimeUnit.SECONDS),
                    gotAtSecond.get(BOUND_S * 3, TimeUnit.SECONDS));
            assertArrayEquals("second to first", sentTwo.get(BOUND_S * 3, TimeUnit.SECONDS),
                    gotAtFirst.get(BOUND_S * 3, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] send(OutputStream out, int size, long seed) throws Exception {
        Random random = new Random(seed);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[70_001];
        for (int sent = 0; sent < size;) {
            int n = Math.min(size - sent, 1 + random.nextInt(block.length));
            random.nextBytes(block);
            out.write(block, 0, n);
            digest.update(block, 0, n);
            sent += n;
        }
        return digest.digest();
    }

    private static byte[] receive(InputStream in, int size) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[65_536];
        for (int got = 0; got < size;) {
            int n = in.read(block, 0, Math.min(block.length, size - got));
            if (n < 0) {
                throw new AssertionError("ended after " + got + " bytes");
            }
            digest.update(block, 0, n);
            got += n;
        }
        return digest.digest();
    }
}
