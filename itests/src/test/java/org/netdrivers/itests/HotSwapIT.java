package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;

/**
 * Hot swap under traffic: clients keep opening connections through an export while the TCP driver
 * bundle is updated 20 times and its configuration changed 5 times.
 *
 * <p>A connection that starts while the driver is away waits for the replacement and must succeed.
 * A connection that is in the middle of its exchange when its driver is stopped is closed, as the
 * API promises (streams of a driver that goes away are closed); such connections are counted and
 * reported, and each must have overlapped a driver stop.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT extends NetdriversTestSupport {

    private static final long LISTENER_SKEW = 2_000_000; // 2 ms

    private record Outcome(long start, long end, boolean ok, String error) {
    }

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_TCP);
    }

    @Test
    public void exportKeepsServingWhileTheDriverBundleIsUpdatedAndReconfigured() throws Exception {
        try (EchoServer server = EchoServer.loopback()) {
            int port = FreePort.find();
            String listen = "tcp://127.0.0.1:" + port;
            org.osgi.service.cm.Configuration config = configure(NetworkConstants.PID_TCP, "swap", Map.of(
                    NetworkConstants.NETWORK_NAME, "swap", "host", "127.0.0.1", "port", server.port(),
                    NetworkConstants.NETWORK_EXPORT, listen));
            awaitDriver("swap");
            awaitExport(listen);

            List<Runnable> swaps = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                swaps.add(() -> update("org.netdrivers.tcp"));
            }
            for (int i = 0; i < 5; i++) {
                int n = i;
                swaps.add(() -> {
                    try {
                        config.update(dict(NetworkConstants.NETWORK_NAME, "swap", "host", "127.0.0.1", "port", server.port(),
                                NetworkConstants.NETWORK_EXPORT, listen, "connect_timeout_ms", 5000 + n));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            swapUnderTraffic("swap", "20 bundle updates, 5 configuration changes", swaps, seed -> exchange(port, seed));
            assertEquals(0, registry.exports().stream().filter(x -> x.listen().equals(listen)).findFirst().orElseThrow()
                    .failedConnections());
        }
    }

    @Test
    public void unixExportKeepsServingWhileTheUnixBundleIsUpdated() throws Exception {
        Path dir = tempFolder();
        Path backend = dir.resolve("backend.sock");
        Path exported = dir.resolve("exported.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(backend));
            Payload.THREADS.submit(() -> {
                while (server.isOpen()) {
                    SocketChannel s = server.accept();
                    Payload.THREADS.submit(() -> {
                        try (s) {
                            Channels.newInputStream(s).transferTo(Channels.newOutputStream(s));
                            s.shutdownOutput();
                        }
                        return null;
                    });
                }
                return null;
            });
            configure(NetworkConstants.PID_UNIX, "uswap", Map.of(NetworkConstants.NETWORK_NAME, "uswap", "path", backend.toString(),
                    NetworkConstants.NETWORK_EXPORT, "unix:" + exported));
            awaitDriver("uswap");
            // the listener, not the file: the file appears when the socket is bound, a moment before it listens
            awaitExport("unix:" + exported);
            List<Runnable> swaps = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                swaps.add(() -> update("org.netdrivers.unix"));
            }
            swapUnderTraffic("uswap", "10 bundle updates of the Unix driver", swaps, seed -> unixExchange(exported, seed));
        } finally {
            deleteConfigurations(NetworkConstants.PID_UNIX);
        }
    }

    @Test
    public void udpExportKeepsServingWhileTheUdpBundleIsUpdated() throws Exception {
        try (UdpEchoPeer peer = new UdpEchoPeer()) {
            int port = FreePort.find();
            // stop_drain_ms: how long a stopping driver's streams still take answers in; the default 50 ms
            // lost an echo once when the whole suite ran on 2 cores (a bundle refresh under way, the
            // echo later than the drain); this test is about the carry-over, not about that bound
            configure(NetworkConstants.PID_UDP, "dswap", Map.of(NetworkConstants.NETWORK_NAME, "dswap", "host", "127.0.0.1",
                    "port", peer.port(), NetworkConstants.NETWORK_EXPORT, "udp://127.0.0.1:" + port, "stop_drain_ms", 300));
            awaitDriver("dswap");
            awaitExport("udp://127.0.0.1:" + port);
            List<Runnable> swaps = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                swaps.add(() -> update("org.netdrivers.udp"));
            }
            java.util.Map<Long, DatagramSocket> sockets = new java.util.concurrent.ConcurrentHashMap<>();
            try {
                swapUnderTraffic("dswap", "10 bundle updates of the UDP driver", swaps, seed -> datagramExchange(sockets, port, seed), true);
            } finally {
                sockets.values().forEach(DatagramSocket::close);
            }
        } finally {
            deleteConfigurations(NetworkConstants.PID_UDP);
        }
    }

    @Test
    public void dbusExportKeepsServingWhileTheDbusBundleIsUpdated() throws Exception {
        Path socket = BuildFolder.path().resolve("dbus-swap").resolve("bus.sock");
        try (DbusDaemon daemon = DbusDaemon.start("unix:path=" + socket)) {
            int port = FreePort.find();
            configure(NetworkConstants.PID_DBUS, "bswap", Map.of(NetworkConstants.NETWORK_NAME, "bswap", "kind", "session",
                    "address", daemon.address(), NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            awaitDriver("bswap");
            awaitExport("tcp://127.0.0.1:" + port);
            String uid = hex(currentUid());
            List<Runnable> swaps = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                swaps.add(() -> update("org.netdrivers.dbus"));
            }
            swapUnderTraffic("bswap", "10 bundle updates of the D-Bus driver", swaps, seed -> saslExchange(port, uid));
        } finally {
            deleteConfigurations(NetworkConstants.PID_DBUS);
        }
    }

    @Test
    public void websocketExportKeepsServingWhileTheWebsocketBundleIsUpdated() throws Exception {
        try (Peer server = Peer.java("WebSocketEchoPeer")) {
            String url = "ws://127.0.0.1:" + server.awaitLine("PORT", 30_000) + "/echo";
            int port = FreePort.find();
            configure(NetworkConstants.PID_WEBSOCKET, "wswap", Map.of(NetworkConstants.NETWORK_NAME, "wswap", "url", url,
                    NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            awaitDriver("wswap");
            awaitExport("tcp://127.0.0.1:" + port);
            List<Runnable> swaps = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                swaps.add(() -> update("org.netdrivers.websocket"));
            }
            swapUnderTraffic("wswap", "10 bundle updates of the WebSocket driver", swaps, seed -> exchange(port, seed));
        } finally {
            deleteConfigurations(NetworkConstants.PID_WEBSOCKET);
        }
    }

    private static String currentUid() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return line.substring(4).trim().split("\\s+")[0];
            }
        }
        throw new IllegalStateException("no Uid line in /proc/self/status");
    }

    private static String hex(String text) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    /**
     * One D-Bus authentication through the export (the daemon's SASL: AUTH EXTERNAL with our uid,
     * answered OK and the bus's guid), as every D-Bus client begins.
     */
    private static Outcome saslExchange(int port, String uidHex) {
        long start = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write(("\0AUTH EXTERNAL " + uidHex + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            StringBuilder line = new StringBuilder();
            InputStream in = s.getInputStream();
            for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
                line.append((char) c);
            }
            boolean ok = line.toString().startsWith("OK ");
            return new Outcome(start, System.nanoTime(), ok, ok ? null : "the bus answered '" + line.toString().trim() + "'");
        } catch (Exception e) {
            return new Outcome(start, System.nanoTime(), false, e.toString());
        }
    }

    private void update(String bundle) {
        try {
            installedBundle(bundle).update();
        } catch (org.osgi.framework.BundleException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One unit of client traffic; the seed tells the client (high bits) and the exchange apart. */
    private interface Exchange {
        Outcome run(long seed);
    }

    /**
     * Runs 4 clients doing {@code exchange} in a loop while {@code swaps} run one after the other,
     * each followed by the driver's return; then classifies every outcome and asserts that the
     * only failures are exchanges in progress when their driver was stopped.
     */
    private void swapUnderTraffic(String driver, String what, List<Runnable> swaps, Exchange exchange) throws Exception {
        swapUnderTraffic(driver, what, swaps, exchange, false);
    }

    /**
     * @param datagrams for UDP: a client session is carried over to the replacement driver (its
     *     datagrams wait for it) and the old driver's answers in flight still arrive (its stop drain):
     *     no datagram may be lost, swap or not
     */
    private void swapUnderTraffic(String driver, String what, List<Runnable> swaps, Exchange exchange, boolean datagrams)
            throws Exception {
            List<long[]> gaps = new CopyOnWriteArrayList<>(); // [down, up] in nanoTime
            long[] current = new long[1];
            ServiceListener listener = event -> {
                if (!driver.equals(event.getServiceReference().getProperty(NetworkConstants.NETWORK_NAME))) {
                    return;
                }
                if (event.getType() == ServiceEvent.UNREGISTERING) {
                    current[0] = System.nanoTime();
                } else if (event.getType() == ServiceEvent.REGISTERED) {
                    gaps.add(new long[] {current[0], System.nanoTime()});
                }
            };
            context.addServiceListener(listener, "(objectClass=" + NetworkInterface.class.getName() + ")");

            AtomicBoolean running = new AtomicBoolean(true);
            List<Outcome> outcomes = new CopyOnWriteArrayList<>();
            List<Future<?>> clients = new ArrayList<>();
            java.util.concurrent.atomic.AtomicLongArray exchangeStart = new java.util.concurrent.atomic.AtomicLongArray(4);
            for (int c = 0; c < 4; c++) {
                int client = c;
                clients.add(Payload.THREADS.submit(() -> {
                    for (int i = 0; running.get() && i < 100_000; i++) {
                        exchangeStart.set(client, System.nanoTime());
                        outcomes.add(exchange.run(client * 1_000_000L + i));
                        exchangeStart.set(client, 0);
                    }
                    return null;
                }));
            }
            // diagnosis: an exchange that stalls for seconds gets the framework's threads printed, once
            Future<?> watchdog = Payload.THREADS.submit(() -> {
                while (clients.stream().anyMatch(f -> !f.isDone())) {
                    for (int c = 0; c < 4; c++) {
                        long t = exchangeStart.get(c);
                        if (t != 0 && System.nanoTime() - t > 3_000_000_000L) {
                            StringBuilder dump = new StringBuilder("client " + c + ": an exchange has run for 3 s; threads:\n");
                            Thread.getAllStackTraces().forEach((thread, stack) -> {
                                dump.append("  ").append(thread.getName()).append(" ").append(thread.getState()).append('\n');
                                for (StackTraceElement e : stack) {
                                    dump.append("      at ").append(e).append('\n');
                                }
                            });
                            System.out.println(dump);
                            return null;
                        }
                    }
                    Thread.sleep(200);
                }
                return null;
            });
            try {
                for (int i = 0; i < swaps.size(); i++) {
                    int before = gaps.size();
                    swaps.get(i).run();
                    awaitCondition("driver back after swap " + (i + 1), () -> gaps.size() > before);
                    Thread.sleep(40);
                }
                Thread.sleep(100);
            } finally {
                running.set(false);
                for (Future<?> f : clients) {
                    f.get(60, TimeUnit.SECONDS);
                }
                watchdog.get(10, TimeUnit.SECONDS);
                context.removeServiceListener(listener);
            }

            int ok = 0;
            int cut = 0;
            int waitedInGap = 0;
            List<Outcome> unexplained = new ArrayList<>();
            for (Outcome o : outcomes) {
                // the registry hears of a stop in the same event dispatch as this test's listener, maybe
                // after it: a connection begun within LISTENER_SKEW of the stop may predate it there
                boolean startedInGap = gaps.stream().anyMatch(g -> o.start >= g[0] + LISTENER_SKEW && o.start <= g[1]);
                boolean overlappedStop = gaps.stream().anyMatch(g -> g[0] + LISTENER_SKEW >= o.start && g[0] <= o.end);
                if (o.ok) {
                    ok++;
                    if (startedInGap) {
                        waitedInGap++;
                    }
                } else if (overlappedStop && !datagrams) {
                    // cut by a stop that came after it began: also one that began in a gap, got the new
                    // driver and was then cut by the next stop (a slow WebSocket handshake, seen once)
                    cut++;
                } else {
                    unexplained.add(o);
                }
            }
            System.out.printf("hot swap of '" + driver + "': %d driver restarts (" + what + "), %d exchanges, "
                    + "%d verified, %d started while no driver was registered and succeeded, "
                    + (datagrams ? "%d (datagrams: none may be) in mid-exchange closed by a driver stop, %d lost%n"
                            : "%d in mid-exchange closed by a driver stop (by contract), %d failed otherwise%n"),
                    gaps.size(), outcomes.size(), ok, waitedInGap, cut, unexplained.size());
            assertEquals(swaps.size(), gaps.size());
            for (Outcome o : unexplained) {
                StringBuilder sb = new StringBuilder("unexplained failure, ms from its start to each driver stop/start: ");
                for (long[] g : gaps) {
                    sb.append(String.format("[%.1f, %.1f] ", (g[0] - o.start) / 1e6, (g[1] - o.start) / 1e6));
                }
                System.out.println(sb + " ; its end at " + (o.end - o.start) / 1e6 + " ms, local port " + o.error);
            }
            assertEquals("new connections that failed: " + unexplained, 0, unexplained.size());
            // TCP and Unix exchanges take a millisecond or so; a lost datagram waits out its timeout
            // (a WebSocket connection costs an HTTP upgrade on top: fewer of them fit in the same time)
            int least = datagrams || driver.equals("wswap") ? 20 : 100;
            assertTrue("traffic ran throughout: " + outcomes.size(), outcomes.size() >= least);
    }

    /** One Unix connection through the export: 8 KiB out, half-close, the same 8 KiB back. */
    private static Outcome unixExchange(Path exported, long seed) {
        long start = System.nanoTime();
        byte[] payload = new byte[8 * 1024];
        Payload.fill(new SplittableRandom(seed), payload);
        try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(exported))) {
            Channels.newOutputStream(s).write(payload);
            s.shutdownOutput();
            byte[] back = Channels.newInputStream(s).readAllBytes();
            boolean same = Arrays.equals(payload, back);
            return new Outcome(start, System.nanoTime(), same, same ? null : "got " + back.length + " of " + payload.length + " bytes");
        } catch (Exception e) {
            return new Outcome(start, System.nanoTime(), false, e.toString());
        }
    }

    /** One datagram through the UDP export from the client's own socket (one session each), and its echo. */
    private static Outcome datagramExchange(java.util.Map<Long, DatagramSocket> sockets, int port, long seed) {
        long start = System.nanoTime();
        byte[] payload = new byte[1 + (int) (seed % 1400)];
        Payload.fill(new SplittableRandom(seed), payload);
        try {
            DatagramSocket s = sockets.computeIfAbsent(seed / 1_000_000L, c -> {
                try {
                    DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    d.setSoTimeout(2000); // a datagram waiting for the replacement driver is late, not lost
                    return d;
                } catch (java.net.SocketException e) {
                    throw new IllegalStateException(e);
                }
            });
            s.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
            byte[] buf = new byte[2048];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                byte[] got = Arrays.copyOf(buf, p.getLength());
                if (Arrays.equals(got, payload)) {
                    return new Outcome(start, System.nanoTime(), true, null);
                }
                // a late echo of an earlier datagram: keep waiting for this one
            }
        } catch (Exception e) {
            return new Outcome(start, System.nanoTime(), false, "lost: " + e);
        }
    }

    /** One connection: 8 KiB of seed's bytes out, half-close, the same 8 KiB back, EOF. */
    private static Outcome exchange(int port, long seed) {
        long start = System.nanoTime();
        byte[] payload = new byte[8 * 1024];
        Payload.fill(new SplittableRandom(seed), payload);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) WAIT_MS);
            OutputStream out = s.getOutputStream();
            out.write(payload);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] back = in.readAllBytes();
            boolean same = Arrays.equals(payload, back);
            return new Outcome(start, System.nanoTime(), same, same ? null : "got " + back.length + " of " + payload.length + " bytes");
        } catch (Exception e) {
            return new Outcome(start, System.nanoTime(), false, e.toString());
        }
    }
}
