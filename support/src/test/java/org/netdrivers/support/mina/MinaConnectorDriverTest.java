package org.netdrivers.support.mina;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.net.HostTarget;

/** A TCP driver's connects and its going away, over real connectors and a listener on loopback. */
public class MinaConnectorDriverTest {
    private static final int ROUNDS = 150;
    private static final long ROUNDS_MS = 30_000;
    private static final int CONNECTING_THREADS = 3;
    /** Connects a thread makes at most in one round: the round's driver goes away after a few of them. */
    private static final int CONNECTS_PER_THREAD = 400;

    private IoThreadsService io;
    private Selector selector;
    private ServerSocketChannel server;
    private Thread listener;
    /** Connections the listener accepted whose other end has not closed yet. */
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();

    @Before
    public void setUp() throws IOException {
        io = new IoThreadsService("test-io", 2);
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1000);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        listener = new Thread(this::serve, "test-listener");
        listener.start();
    }

    @After
    public void tearDown() throws Exception {
        selector.close();
        listener.join(5000);
        server.close();
        for (SocketChannel c : open) {
            c.close();
        }
        io.close();
    }

    /** Accepts connections and reads each to its end (the drivers' streams send nothing here), then closes it. */
    private void serve() {
        ByteBuffer buf = ByteBuffer.allocate(256);
        try {
            while (selector.isOpen()) {
                selector.select(1000);
                for (SelectionKey k : selector.selectedKeys()) {
                    if (k.isValid() && k.isAcceptable()) {
                        SocketChannel c;
                        while ((c = server.accept()) != null) {
                            open.add(c);
                            c.configureBlocking(false);
                            c.register(selector, SelectionKey.OP_READ);
                        }
                    } else if (k.isValid() && k.isReadable()) {
                        SocketChannel c = (SocketChannel) k.channel();
                        int n;
                        try {
                            buf.clear();
                            n = c.read(buf);
                        } catch (IOException reset) {
                            n = -1;
                        }
                        if (n < 0) {
                            k.cancel();
                            c.close();
                            open.remove(c);
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException closed) {
            // the test is over
        }
    }

    /**
     * Connects that are under way in Mina's connector when the driver goes away: each one ends
     * (a stream that arrives after the disposal is closed and its connect fails), and no
     * connection stays open. Mina drops a connect request that reaches a connector whose worker has
     * ended after the disposal, with its socket connected and its future never done; the driver
     * must let no connect be under way in the connector when it disposes of it. The interleaving
     * is a matter of microseconds, so each round races three connecting threads against the
     * disposal at a random moment.
     */
    @Test
    public void connectsUnderWayWhenTheDriverGoesAwayAllEndAndLeaveNoConnectionOpen() throws Exception {
        InetSocketAddress target = (InetSocketAddress) server.getLocalAddress();
        List<CompletableFuture<ByteStream>> all = new ArrayList<>();
        long deadline = System.currentTimeMillis() + ROUNDS_MS;
        int rounds = 0;
        while (rounds < ROUNDS && System.currentTimeMillis() < deadline) {
            rounds++;
            MinaConnectorDriver driver = driver(target, "round-" + rounds);
            AtomicBoolean gone = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            List<CompletableFuture<ByteStream>> round = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < CONNECTING_THREADS; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < CONNECTS_PER_THREAD && !gone.get(); i++) {
                        CompletableFuture<ByteStream> f = driver.connect().toCompletableFuture();
                        round.add(f);
                        // a stream that arrives is closed at once: only the race is of interest
                        f.thenAccept(s -> s.close());
                    }
                }, "test-connect");
                threads.add(th);
                th.start();
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 4));
            driver.dispose(new StreamClosedException("round-" + rounds + ": test driver stopped"));
            gone.set(true);
            for (Thread th : threads) {
                th.join(10_000);
            }
            all.addAll(round);
        }
        long notDone = 0;
        long endBy = System.currentTimeMillis() + 5000;
        for (CompletableFuture<ByteStream> f : all) {
            try {
                f.get(Math.max(1, endBy - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                notDone++;
            } catch (java.util.concurrent.ExecutionException refused) {
                // the driver had gone away: refused, as it should be
            }
        }
        long until = System.currentTimeMillis() + 5000;
        while (!open.isEmpty() && System.currentTimeMillis() < until) {
            Thread.sleep(20);
        }
        System.out.printf("%d rounds, %d connects: %d never ended, %d connections left open%n", rounds, all.size(), notDone,
                open.size());
        assertTrue("rounds made connects", all.size() >= rounds);
        assertEquals("connects that never ended, of " + all.size() + " in " + rounds + " rounds", 0, notDone);
        assertEquals("connections to the listener left open by drivers that went away", 0, open.size());
    }

    /**
     * A connect still under way when its driver goes away (a listener whose accept queue is full
     * drops the SYNs, as a device that does not answer would) ends when its connect timeout
     * passes, and the connector's worker waits for it meanwhile. Mina shuts down the executor it
     * makes for a connector when the connector is disposed, which interrupts the worker, and an
     * interrupted worker turned on its selector without waiting (a core's CPU) until the
     * connect ended: the TCP driver's connector runs its worker on the I/O threads' executor.
     */
    @Test
    public void aConnectUnderWayWhenTheDriverGoesAwayEndsByItsTimeoutAndItsWorkerWaitsMeanwhile() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assertTrue("this JVM measures a thread's CPU time", threads.isThreadCpuTimeSupported());
        List<Socket> queued = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress target = (InetSocketAddress) full.getLocalSocketAddress();
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                try {
                    s.connect(target, 300);
                    queued.add(s);
                } catch (SocketTimeoutException e) {
                    s.close();
                    break; // the accept queue is full: SYNs are dropped from now on
                }
            }
            NioSocketConnector connector = MinaTransports.socketConnector(io);
            connector.setConnectTimeoutMillis(2000);
            MinaConnectorDriver driver = driver(target, "unanswered", connector);
            CompletableFuture<ByteStream> stage = driver.connect().toCompletableFuture();
            Thread.sleep(300);
            assertFalse("the connect is under way", stage.isDone());
            StreamClosedException reason = new StreamClosedException("unanswered: test driver stopped");
            driver.dispose(reason);

            // Mina names a connector's worker after its class while it runs
            List<Thread> workers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("NioSocketConnector")).toList();
            assertTrue("the connector's worker still waits for the connect", !workers.isEmpty() && !stage.isDone());
            long cpuBefore = cpuNanos(threads, workers);
            Thread.sleep(1000);
            long cpuMs = (cpuNanos(threads, workers) - cpuBefore) / 1_000_000;
            System.out.printf("the connector's worker used %d ms of CPU in the second after its driver went away%n", cpuMs);
            assertTrue("the connector's worker waited for the connect, it did not turn: " + cpuMs + " ms of CPU in 1 s", cpuMs < 250);
            try {
                ByteStream s = stage.get(5, TimeUnit.SECONDS);
                fail("a stream from a driver that went away: " + s);
            } catch (ExecutionException e) {
                assertEquals("the connect fails with the driver's reason", reason, e.getCause());
            }
        } finally {
            for (Socket s : queued) {
                s.close();
            }
        }
    }

    private static long cpuNanos(ThreadMXBean threads, List<Thread> of) {
        return of.stream().mapToLong(t -> Math.max(0, threads.getThreadCpuTime(t.getId()))).sum();
    }

    private MinaConnectorDriver driver(InetSocketAddress target, String name) throws Exception {
        return driver(target, name, MinaTransports.socketConnector(io));
    }

    private MinaConnectorDriver driver(InetSocketAddress target, String name, NioSocketConnector connector) throws Exception {
        MinaTransports.configure(connector.getSessionConfig(), true, 0);
        connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, name, 1 << 20), s -> { }));
        DriverSettings common = DriverSettings.read(new ConfigReader(Map.of("network.name", name)), "tcp");
        return new MinaConnectorDriver(common, io, connector, new HostTarget(target.getAddress().getHostAddress(), target, name),
                "tcp", false);
    }
}
