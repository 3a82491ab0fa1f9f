package org.netdrivers.io.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.junit.After;
import org.junit.Test;
import org.netdrivers.io.SelectorLoop;

/**
 * Where the I/O threads place a new connection: not on a thread that a transfer keeps busy while
 * another has time. Real sockets on loopback, and a thread kept busy for real.
 */
public class PlacementTest {
    private final IoThreadsService io = new IoThreadsService("placement-test", 2);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @After
    public void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        io.close();
    }

    @Test
    public void aNewConnectionGoesToTheProcessorThatIsNotKeptBusy() throws Exception {
        BlockingQueue<String> opened = new LinkedBlockingQueue<>();
        CountDownLatch hogReading = new CountDownLatch(1);
        NioSocketAcceptor acceptor = new NioSocketAcceptor(io.processor());
        acceptor.setHandler(new IoHandlerAdapter() {
            @Override
            public void sessionOpened(IoSession session) {
                opened.add(Thread.currentThread().getName());
            }

            @Override
            public void messageReceived(IoSession session, Object message) {
                // each read costs this thread 5 ms: a client that keeps writing keeps it busy
                long until = System.nanoTime() + 5_000_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                hogReading.countDown();
            }
        });
        acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        toClose.add(acceptor::dispose);
        InetSocketAddress at = acceptor.getLocalAddress();

        // a connection that comes and goes first: its processor's loop ends with it (Mina's way), and its
        // thread, idle since, must count as idle, not as busy
        try (Socket once = new Socket(at.getAddress(), at.getPort())) {
            assertNotNull("the first connection opened", opened.poll(10, TimeUnit.SECONDS));
        }
        Thread.sleep(300);

        Socket hog = new Socket(at.getAddress(), at.getPort());
        toClose.add(hog);
        String busy = opened.poll(10, TimeUnit.SECONDS);
        assertNotNull("the busy connection opened", busy);
        Thread writer = new Thread(() -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // bounded; the test ends it sooner
            try {
                while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                    hog.getOutputStream().write(1);
                    Thread.sleep(1);
                }
            } catch (Exception closed) {
                // the test is over
            }
        }, "placement-test-writer");
        writer.setDaemon(true);
        writer.start();
        toClose.add(writer::interrupt);
        hogReading.await(10, TimeUnit.SECONDS);
        Thread.sleep(300); // long enough for the measure to see it

        for (int n = 0; n < 10; n++) {
            try (Socket s = new Socket(at.getAddress(), at.getPort())) {
                String thread = opened.poll(10, TimeUnit.SECONDS);
                assertNotNull("connection " + n + " opened", thread);
                assertNotEquals("connection " + n + " placed on the busy processor " + busy, busy, thread);
            }
        }
    }

    @Test
    public void aNewConnectionGoesToTheSelectorLoopThatIsNotKeptBusy() throws Exception {
        SelectorLoop busy = io.nextLoop();
        CountDownLatch working = new CountDownLatch(1);
        CountDownLatch stop = new CountDownLatch(1);
        busy.execute(() -> {
            working.countDown();
            try {
                stop.await(10, TimeUnit.SECONDS); // a task that holds the loop's thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        toClose.add(stop::countDown);
        working.await(10, TimeUnit.SECONDS);
        Thread.sleep(200);
        for (int n = 0; n < 10; n++) {
            assertNotSame("pick " + n + " gave the busy loop", busy, io.nextLoop());
        }
        stop.countDown();
    }

    @Test
    public void idleThreadsTakeTurns() {
        SelectorLoop first = io.nextLoop();
        SelectorLoop second = io.nextLoop();
        assertNotSame(first, second);
        assertEquals(first, io.nextLoop());
        assertEquals(second, io.nextLoop());
    }
}
