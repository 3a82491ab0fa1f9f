package org.netdrivers.support.mina;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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

    private MinaConnectorDriver driver(InetSocketAddress target, String name) throws Exception {
        NioSocketConnector connector = new NioSocketConnector(io.processor());
        MinaTransports.configure(connector.getSessionConfig(), true, false, 0);
        connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, name, 1 << 20), s -> { }));
        DriverSettings common = DriverSettings.read(new ConfigReader(Map.of("network.name", name)), "tcp");
        return new MinaConnectorDriver(common, io, connector, target, name, false);
    }
}
