package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** A TCP export of a TCP driver, used by many plain sockets at once, and forward configurations. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TcpExportIT extends NetdriversTestSupport {

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_TCP, NetworkConstants.PID_FORWARD, NetworkConstants.PID_ECHO);
    }

    @Test
    public void hundredConcurrentClientsThroughAnExportAllBytesVerified() throws Exception {
        try (EchoServer server = EchoServer.loopback()) {
            int port = FreePort.find();
            configure(NetworkConstants.PID_TCP, "many", Map.of(NetworkConstants.NETWORK_NAME, "many",
                    "host", "127.0.0.1", "port", server.port(), NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            awaitExport("tcp://127.0.0.1:" + port);
            int clients = 100;
            long size = 256 * 1024;
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String[]>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                long seed = 1000 + i;
                results.add(Payload.THREADS.submit(() -> {
                    start.await();
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        s.setSoTimeout((int) WAIT_MS * 3);
                        Future<String> sent = Payload.THREADS.submit(() -> {
                            String sha = Payload.write(s.getOutputStream(), seed, size);
                            s.shutdownOutput();
                            return size + ":" + sha;
                        });
                        String received = Payload.read(s.getInputStream());
                        return new String[] {sent.get(), received};
                    }
                }));
            }
            start.countDown();
            for (Future<String[]> f : results) {
                String[] r = f.get(60, TimeUnit.SECONDS);
                assertEquals("echoed bytes equal sent bytes", r[0], r[1]);
            }
            assertEquals(clients, server.accepted.get());
            StreamRegistry.Export export = export("tcp://127.0.0.1:" + port);
            assertEquals(clients, export.totalConnections());
            assertEquals("every connection relayed on the I/O thread that owns it and its driver session",
                    clients, export.relayedConnections());
            assertEquals(0, export.failedConnections());
            awaitCondition("connections closed", () -> export("tcp://127.0.0.1:" + port).openConnections() == 0);
            assertEquals(clients * size, export("tcp://127.0.0.1:" + port).bytesIn());
            assertEquals(clients * size, export("tcp://127.0.0.1:" + port).bytesOut());
            assertEquals("the endpoint counts what the relays carried", clients * size, registry.endpoint("many").get().bytesIn());
            assertEquals(clients * size, registry.endpoint("many").get().bytesOut());
            assertTrue("in flight per connection stays within the bound",
                    export("tcp://127.0.0.1:" + port).maxBytesInFlight() <= export("tcp://127.0.0.1:" + port).inFlightLimit());
        }
    }

    @Test
    public void forwardConfigurationExportsByNameOrFilter() throws Exception {
        configure(NetworkConstants.PID_ECHO, "fwd", Map.of(NetworkConstants.NETWORK_NAME, "fwd-echo"));
        awaitDriver("fwd-echo");
        int byName = FreePort.find();
        int byFilter = FreePort.find();
        configure(NetworkConstants.PID_FORWARD, "a", Map.of("target", "fwd-echo", "listen", "tcp://127.0.0.1:" + byName));
        configure(NetworkConstants.PID_FORWARD, "b", Map.of("target", "(&(network.type=echo)(network.name=fwd-*))",
                "listen", "tcp://localhost:" + byFilter));
        awaitExport("tcp://127.0.0.1:" + byName);
        awaitExport("tcp://127.0.0.1:" + byFilter);
        assertEquals("ping", roundTrip(byName, "ping"));
        assertEquals("pong", roundTrip(byFilter, "pong"));
        deleteConfigurations(NetworkConstants.PID_FORWARD);
        awaitCondition("forwards stopped", () -> registry.exports().isEmpty());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), byName)) {
            throw new AssertionError("the listener should be closed");
        } catch (java.net.ConnectException expected) {
            // closed, as it should be
        }
    }

    @Test
    public void connectionWithoutDriverWaitsThenClosesWithALogLine() throws Exception {
        int port = FreePort.find();
        registrySettings(Map.of("wait_ms", 300));
        try {
            configure(NetworkConstants.PID_FORWARD, "nobody", Map.of("target", "nobody-here", "listen", "tcp://127.0.0.1:" + port));
            awaitExport("tcp://127.0.0.1:" + port);
            try (LogCapture log = new LogCapture(context)) {
                long t0 = System.nanoTime();
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout((int) WAIT_MS);
                    assertEquals("closed without data", -1, s.getInputStream().read());
                }
                long waitedMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue("waited about the bound, not less: " + waitedMs + " ms", waitedMs >= 250);
                awaitCondition("failure counted", () -> export("tcp://127.0.0.1:" + port).failedConnections() == 1);

                // a flood of such clients: counted, and no line each (one WARN per 10 s at most)
                java.util.List<Socket> flood = new java.util.ArrayList<>();
                try {
                    for (int i = 0; i < 20; i++) {
                        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                        s.setSoTimeout((int) WAIT_MS);
                        flood.add(s);
                    }
                    for (Socket s : flood) {
                        assertEquals("closed without data", -1, s.getInputStream().read());
                    }
                } finally {
                    for (Socket s : flood) {
                        s.close();
                    }
                }
                awaitCondition("21 failures counted", () -> export("tcp://127.0.0.1:" + port).failedConnections() == 21);
                java.util.List<String> lines = log.warnings("export tcp://127.0.0.1:" + port, "client(s) closed");
                assertEquals("one line for 21 clients: " + lines, 1, lines.size());
                assertTrue(lines.get(0), lines.get(0).contains("no driver matching 'nobody-here' appeared within 300 ms"));
            }
        } finally {
            registryDefaults();
        }
    }

    @Test
    public void connectionsBeyondTheExportsBoundAreClosedCountedAndSaidOnce() throws Exception {
        int port = FreePort.find();
        registrySettings(Map.of("max_connections", 3));
        java.util.List<Socket> clients = new java.util.ArrayList<>();
        try (LogCapture log = new LogCapture(context)) {
            configure(NetworkConstants.PID_ECHO, "bounded", Map.of(NetworkConstants.NETWORK_NAME, "bounded",
                    NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            awaitExport("tcp://127.0.0.1:" + port);
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                s.setSoTimeout((int) WAIT_MS);
                clients.add(s);
                s.getOutputStream().write('a' + i);
                assertEquals("served within the bound", 'a' + i, s.getInputStream().read());
            }
            for (int i = 0; i < 5; i++) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout((int) WAIT_MS);
                    assertEquals("beyond the bound: closed at once", -1, s.getInputStream().read());
                }
            }
            awaitCondition("5 refusals counted", () -> export("tcp://127.0.0.1:" + port).failedConnections() == 5);
            java.util.List<String> lines = log.warnings("export tcp://127.0.0.1:" + port, "refused", "max_connections");
            assertEquals("one line for 5 refusals: " + lines, 1, lines.size());
            clients.remove(0).close();
            awaitCondition("a slot free again", () -> export("tcp://127.0.0.1:" + port).openConnections() == 2);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout((int) WAIT_MS);
                s.getOutputStream().write('z');
                assertEquals("served once a connection ended", 'z', s.getInputStream().read());
            }
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            registryDefaults();
        }
    }

    /**
     * The registry's socket_buffer_bytes reaches the sockets a listening TCP export accepts,
     * including after a change (as a registry configuration that Config Admin delivers after the
     * driver's, at a start), as {@code ss} reports them.
     */
    /** What a test looks at on a connection to an export, with the test's end of it. */
    private interface Look<T> {
        T at(Socket client) throws Exception;
    }

    /**
     * A connection to the export at {@code port} every 100 ms, each carrying a byte each way, until
     * what {@code look} finds on one satisfies {@code until} (a change of the registry's settings
     * reaches the next connection once Config Admin has delivered it), 50 at most.
     *
     * @return what {@code look} found on the last connection
     */
    private static <T> T connectUntil(int port, Look<T> look, java.util.function.Predicate<T> until) throws Exception {
        T found = null;
        for (int i = 0; i < 50 && (found == null || !until.test(found)); i++) {
            Thread.sleep(i == 0 ? 0 : 100);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout((int) WAIT_MS);
                s.getOutputStream().write('k');
                assertEquals('k', s.getInputStream().read());
                found = look.at(s);
            }
        }
        return found;
    }

    /**
     * TCP keepalive, as {@code ss} reports the kernel's timers: the registry's on the connections
     * a TCP export accepts (on by default), the TCP driver's on its connections to the device, each
     * with its own idle time; a change of the registry's reaches the next connection, and
     * keepalive = false leaves it unprobed.
     */
    @Test
    public void keepaliveProbesAnExportsClientsAndItsDriversDeviceConnectionsWithTheirOwnTimings() throws Exception {
        if (Tools.missing("ss", "keepaliveProbesAnExportsClientsAndItsDriversDeviceConnectionsWithTheirOwnTimings",
                "ss is not installed here (package iproute2)")) {
            return;
        }
        int port = FreePort.find();
        try (EchoServer device = EchoServer.loopback()) {
            registrySettings(Map.of("keepalive_idle_s", 23));
            configure(NetworkConstants.PID_TCP, "probed", Map.of(NetworkConstants.NETWORK_NAME, "probed", "host", "127.0.0.1",
                    "port", device.port(), "keepalive", true, "keepalive_idle_s", 11,
                    NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            awaitExport("tcp://127.0.0.1:" + port);
            Double[] seen = connectUntil(port, s -> new Double[] {Tools.keepaliveSeconds(":" + port, ":" + s.getLocalPort()),
                    Tools.keepaliveSeconds(null, ":" + device.port())}, at -> at[0] != null && at[0] > 21 && at[0] <= 23);
            Double client = seen[0];
            Double toDevice = seen[1];
            String listing = Tools.run(java.util.List.of("ss", "-t", "-n", "-o", "state", "established"), "");
            assertTrue("the export's side of a client connection probes after the registry's 23 s: " + client + "\n" + listing,
                    client != null && client > 21 && client <= 23);
            assertTrue("the driver's connection to the device probes after its own 11 s: " + toDevice + "\n" + listing,
                    toDevice != null && toDevice > 9 && toDevice <= 11);

            registrySettings(Map.of("keepalive", false));
            client = connectUntil(port, s -> Tools.keepaliveSeconds(":" + port, ":" + s.getLocalPort()), at -> at != null && at == -1);
            assertEquals("with keepalive = false the next client connection is not probed", Double.valueOf(-1), client);
        } finally {
            registryDefaults();
        }
    }

    @Test
    public void aChangeOfSocketBufferBytesReachesTheNextConnectionOfAListeningExport() throws Exception {
        if (Tools.missing("ss", "aChangeOfSocketBufferBytesReachesTheNextConnectionOfAListeningExport",
                "ss is not installed here (package iproute2)")) {
            return;
        }
        int port = FreePort.find();
        configure(NetworkConstants.PID_ECHO, "sized", Map.of(NetworkConstants.NETWORK_NAME, "sized",
                NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
        awaitExport("tcp://127.0.0.1:" + port);
        try {
            registrySettings(Map.of("socket_buffer_bytes", 65536));
            int[] seen = connectUntil(port, s -> Tools.socketBuffers("-t", "ESTAB", ":" + port, ":" + s.getLocalPort()),
                    at -> Tools.buffersAt(at, 65536));
            assertTrue("the accepted socket at 65536: " + java.util.Arrays.toString(seen), Tools.buffersAt(seen, 65536));
        } finally {
            registryDefaults();
        }
    }

    @Test
    public void anIdleConnectionIsClosedAfterIdleTimeoutAndABusyOneIsNot() throws Exception {
        int port = FreePort.find();
        registrySettings(Map.of("idle_timeout_s", 1));
        try (LogCapture log = new LogCapture(context)) {
            configure(NetworkConstants.PID_ECHO, "idle", Map.of(NetworkConstants.NETWORK_NAME, "idle",
                    NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            awaitExport("tcp://127.0.0.1:" + port);
            try (Socket idle = new Socket(InetAddress.getLoopbackAddress(), port);
                    Socket busy = new Socket(InetAddress.getLoopbackAddress(), port)) {
                idle.setSoTimeout((int) WAIT_MS);
                busy.setSoTimeout((int) WAIT_MS);
                idle.getOutputStream().write('i');
                assertEquals('i', idle.getInputStream().read());
                long t0 = System.nanoTime();
                for (int i = 0; i < 10; i++) { // 3 s of a byte each way every 300 ms
                    busy.getOutputStream().write('b');
                    assertEquals("the busy connection serves on", 'b', busy.getInputStream().read());
                    Thread.sleep(300);
                }
                assertEquals("the idle one was closed", -1, idle.getInputStream().read());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue("closed after about 1 s of silence, not before: " + ms + " ms", ms >= 900);
            }
            awaitCondition("a line for the idle close", () -> log.lines("export tcp://127.0.0.1:" + port, "idle_timeout_s").size() == 1);
            Thread.sleep(200);
            java.util.List<String> lines = log.lines("export tcp://127.0.0.1:" + port, "idle_timeout_s");
            assertEquals("one line (INFO, counted): " + lines, 1, lines.size());
            assertEquals("not a warning: a client's silence is not a fault", 0,
                    log.warnings("export tcp://127.0.0.1:" + port, "idle_timeout_s").size());
            System.out.println(lines.get(0));
        } finally {
            registryDefaults();
        }
    }
}
