package org.netdrivers.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;


import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.registry.internal.Drivers.Registered;
import org.netdrivers.registry.internal.Drivers.TestDriver;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.net.ListenAddress;

/**
 * The exports' lifecycle: a driver's export starts with it, outlives it by the wait bound plus a
 * second (a replacement keeps it), then stops and frees its port; one address, one export. Real
 * listeners on loopback; the drivers are {@link Drivers.InMemoryService} views, no framework.
 */
public class ExportTableTest {
    private static final long WAIT_MS = 200;
    private static final long LINGER_MS = WAIT_MS + 1000;

    private Drivers drivers;
    private IoThreadsService io;
    private EndpointTable endpoints;
    private ExportSettings settings;
    private ExportTable exports;

    @Before
    public void setUp() throws Exception {
        drivers = new Drivers();
        io = new IoThreadsService("export-test", 1);
        endpoints = new EndpointTable();
        settings = new ExportSettings(endpoints, io);
        settings.apply(new ConfigReader(Map.of("wait_ms", (int) WAIT_MS)));
        exports = new ExportTable(settings, new Jmx());
    }

    @After
    public void tearDown() throws Exception {
        exports.stopAll("test over");
        io.close();
        settings.close();
        drivers.close();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Registered driver(String name, String export) {
        Registered r = drivers.register(new TestDriver(name, true), name, 0, NetworkConstants.NETWORK_EXPORT, export);
        exports.driverAppeared(endpoints.add(r.ref(), r.driver()));
        return r;
    }

    private void gone(Registered r) {
        EndpointEntry e = endpoints.remove(r.ref().id());
        exports.driverGoing(e);
        exports.driverGone(e);
    }

    private StreamRegistry.Export export(String listen) {
        return exports.snapshot().stream().filter(x -> x.listen().equals(listen)).findFirst().orElse(null);
    }

    private static boolean accepts(int port) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }

    /** Waits (the linger and 5 s more at most) until there is no export on {@code listen}. */
    private void awaitNoExport(String listen) throws Exception {
        long deadline = System.nanoTime() + (LINGER_MS + 5_000) * 1_000_000;
        while (export(listen) != null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** The export on {@code listen} is there, listens for {@code target}, and accepts on {@code port}. */
    private void assertServes(String listen, int port, String target) throws Exception {
        StreamRegistry.Export e = export(listen);
        assertNotNull("an export on " + listen, e);
        assertEquals(target, e.target());
        assertTrue(e.listening());
        assertTrue(accepts(port));
    }

    @Test
    public void aDriversExportListensWhileTheDriverIsThere() throws Exception {
        int port = freePort();
        String listen = "tcp://127.0.0.1:" + port;
        driver("dut", listen);
        assertServes(listen, port, "dut");
    }

    @Test
    public void aReplacementWithinTheLingerKeepsTheSameExport() throws Exception {
        int port = freePort();
        String listen = "tcp://127.0.0.1:" + port;
        Registered first = driver("dut", listen);
        assertTrue(accepts(port));
        gone(first);
        assertTrue("listening while it lingers", accepts(port));
        driver("dut", listen);
        Thread.sleep(LINGER_MS + 300);
        StreamRegistry.Export e = export(listen);
        assertNotNull("kept past the linger: a driver asks for it again", e);
        assertTrue(e.listening());
        assertEquals("the same export: it counted both connections, before and during the swap", 2, e.totalConnections());
    }

    @Test
    public void anExportNobodyAsksForAnyMoreStopsAfterTheLingerAndFreesItsPort() throws Exception {
        int port = freePort();
        String listen = "tcp://127.0.0.1:" + port;
        gone(driver("dut", listen));
        assertNotNull(export(listen));
        awaitNoExport(listen);
        assertNull("stopped after the linger", export(listen));
        assertTrue("the port is free", !accepts(port));
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, again.getLocalPort());
        }
    }

    @Test
    public void aSecondDriverAskingForTheSameAddressIsRefusedAndTheFirstKeepsIt() throws Exception {
        String listen = "tcp://127.0.0.1:" + freePort();
        driver("first", listen);
        driver("second", listen);
        assertEquals("first", export(listen).target());
        assertEquals(1, exports.snapshot().size());
    }

    /** Waits (the linger and 5 s more at most) until the export on {@code listen} serves {@code target}. */
    private StreamRegistry.Export awaitTarget(String listen, String target) throws Exception {
        long deadline = System.nanoTime() + (LINGER_MS + 5_000) * 1_000_000;
        StreamRegistry.Export e = export(listen);
        while ((e == null || !target.equals(e.target())) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            e = export(listen);
        }
        return e;
    }

    /**
     * A lab moves an address from driver a to driver b and edits b's configuration first: b is
     * refused while a holds it, and gets it the moment a comes back with its export elsewhere
     * (a's old export does not linger for a driver that moved away).
     */
    @Test
    public void anAddressMovedFromOneDriverToAnotherGoesToTheSecondWhicheverEditComesFirst() throws Exception {
        int port = freePort();
        String x = "tcp://127.0.0.1:" + port;
        String y = "tcp://127.0.0.1:" + freePort();
        Registered a = driver("a", x);
        driver("b", x);
        assertEquals("a holds it", "a", export(x).target());
        gone(a);
        assertEquals("a's export lingers for a replacement", "a", export(x).target());
        driver("a", y);
        assertServes(x, port, "b"); // at once, not after the linger
        assertEquals("a", export(y).target());
        assertEquals(2, exports.snapshot().size());
    }

    @Test
    public void aDriverRefusedForATakenAddressGetsItWhenTheExportHoldingItStops() throws Exception {
        int port = freePort();
        String x = "tcp://127.0.0.1:" + port;
        Registered a = driver("a", x);
        driver("b", x);
        gone(a);
        awaitTarget(x, "b");
        assertServes(x, port, "b");
    }

    @Test
    public void aRefusedDriverThatWentAwayMeanwhileDoesNotTakeTheAddress() throws Exception {
        int port = freePort();
        String x = "tcp://127.0.0.1:" + port;
        Registered a = driver("a", x);
        Registered b = driver("b", x);
        gone(b);
        Registered c = driver("c", x);
        gone(a);
        StreamRegistry.Export e = awaitTarget(x, "c");
        assertNotNull(e);
        assertEquals("the claim still asked for, c, not b which went away", "c", e.target());
        gone(c);
        awaitNoExport(x);
        assertNull("nobody left to ask for it", export(x));
        assertTrue(!accepts(port));
    }

    @Test
    public void aForwardRefusedForATakenAddressGetsItWhenTheExportHoldingItStops() throws Exception {
        int port = freePort();
        String x = "tcp://127.0.0.1:" + port;
        Registered a = driver("a", x);
        assertNotNull(exports.addForward("org.netdrivers.forward~f", ListenAddress.parse(x), Target.parse("(bench=1)"), null));
        assertNotNull(exports.addForward("org.netdrivers.forward~gone", ListenAddress.parse(x), Target.parse("gone"), null));
        exports.removeForward("org.netdrivers.forward~gone", "configuration deleted");
        gone(a);
        StreamRegistry.Export e = awaitTarget(x, "(bench=1)");
        assertNotNull("the forward's export on the address after a's lingered out", e);
        assertTrue(e.listening());
        assertTrue(e.source(), e.source().contains("org.netdrivers.forward~f"));
        exports.removeForward("org.netdrivers.forward~f", "configuration deleted");
        assertNull("the forward removed, its export stopped", export(x));
        assertTrue(!accepts(port));
    }

    @Test
    public void anExportTextThatIsNoAddressStartsNothing() throws Exception {
        driver("dut", "tcp://127.0.0.1:notaport");
        assertTrue(exports.snapshot().isEmpty());
    }

    @Test
    public void aForwardOnAnAddressInUseIsRefusedWithTheReason() throws Exception {
        String listen = "tcp://127.0.0.1:" + freePort();
        driver("dut", listen);
        String problem = exports.addForward("org.netdrivers.forward~x", ListenAddress.parse(listen), Target.parse("dut"), null);
        assertNotNull(problem);
        assertTrue(problem, problem.startsWith("the address is already used by the export of "));
    }

    @Test
    public void aForwardListensUntilItIsRemoved() throws Exception {
        int port = freePort();
        String listen = "tcp://127.0.0.1:" + port;
        assertNull(exports.addForward("org.netdrivers.forward~x", ListenAddress.parse(listen), Target.parse("(bench=1)"), null));
        assertTrue(accepts(port));
        exports.removeForward("org.netdrivers.forward~x", "configuration deleted");
        assertNull(export(listen));
        assertTrue(!accepts(port));
    }

    /** Nothing is bound: the refusal comes before any listener (tests listen on loopback only). */
    @Test
    public void aPlainExportOnAnAddressOtherMachinesReachIsRefusedUnlessInsecureExportsIsSet() throws Exception {
        for (String listen : new String[] {"tcp://0.0.0.0:" + freePort(), "udp://0.0.0.0:" + freePort(), "tcp://[::]:" + freePort()}) {
            String problem = exports.addForward("org.netdrivers.forward~open", ListenAddress.parse(listen), Target.parse("dut"), null);
            assertNotNull(listen, problem);
            assertTrue(problem, problem.contains("insecure_exports"));
            assertTrue("not listening: " + listen, !export(listen).listening());
            exports.removeForward("org.netdrivers.forward~open", "test over");
        }
    }

    @Test
    public void aPortSomeoneElseHoldsLeavesTheExportNotListeningWithTheReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String listen = "tcp://127.0.0.1:" + taken.getLocalPort();
            String problem = exports.addForward("org.netdrivers.forward~y", ListenAddress.parse(listen), Target.parse("dut"), null);
            assertNotNull(problem);
            assertTrue(problem, problem.contains("cannot listen on " + listen));
            List<StreamRegistry.Export> all = exports.snapshot();
            assertEquals(1, all.size());
            assertTrue(!all.get(0).listening());
            assertEquals(problem, all.get(0).lastError().orElseThrow());
        }
    }

    /**
     * A runtime started while another process still holds an export's port (an old instance, an
     * ssh forward): the export tries again and listens once the port is free, for the driver and
     * for a forward alike; one that stops meanwhile tries no more.
     */
    @Test
    public void anExportWhosePortIsHeldListensOnceTheHolderLetsGo() throws Exception {
        ServerSocket forDriver = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket forForward = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket forStopped = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        String x = "tcp://127.0.0.1:" + forDriver.getLocalPort();
        String y = "tcp://127.0.0.1:" + forForward.getLocalPort();
        int stoppedPort = forStopped.getLocalPort();
        String z = "tcp://127.0.0.1:" + stoppedPort;
        try {
            driver("dut", x);
            assertNotNull(exports.addForward("org.netdrivers.forward~y", ListenAddress.parse(y), Target.parse("dut"), null));
            assertNotNull(exports.addForward("org.netdrivers.forward~z", ListenAddress.parse(z), Target.parse("dut"), null));
            assertTrue(!export(x).listening());
            assertTrue(!export(y).listening());
            exports.removeForward("org.netdrivers.forward~z", "configuration deleted");
        } finally {
            forDriver.close();
            forForward.close();
            forStopped.close();
        }
        Drivers.await("the driver's export listens once its port is free", () -> export(x).listening());
        Drivers.await("the forward listens once its port is free", () -> export(y).listening());
        assertEquals("dut", export(x).target());
        assertTrue(export(x).lastError().isEmpty());
        assertTrue(accepts(forDriver.getLocalPort()));
        Thread.sleep(3_500); // past two more attempts of a forward that had not stopped
        assertNull("a removed forward does not come back", export(z));
        try (ServerSocket again = new ServerSocket(stoppedPort, 1, InetAddress.getLoopbackAddress())) {
            assertEquals("nobody took the removed forward's port", stoppedPort, again.getLocalPort());
        }
    }

    /** The driver's first stream, once the export opened it for a connection ({@link Drivers#BOUND_MS}). */
    private static Drivers.TestStream firstStream(TestDriver d) throws Exception {
        Drivers.await(d.label + ": a stream opened", () -> !d.opened.isEmpty());
        return d.opened.peek();
    }

    /** Waits ({@link Drivers#BOUND_MS} at most) until the stream has been sent {@code text} by its client. */
    private static void waitSent(Drivers.TestStream s, String text) throws Exception {
        Drivers.await(s.label + " was sent " + text, () -> String.join("", s.sent).contains(text));
    }

    /** @return the driver's stream whose client sent exactly {@code text} so far, or null */
    private static Drivers.TestStream streamSent(TestDriver d, String text) {
        return d.opened.stream().filter(s -> String.join("", s.sent).equals(text)).findFirst().orElse(null);
    }

    private static long acceptorThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(DrainingSocketAcceptor.class.getSimpleName())).count();
    }

    /**
     * Threads stay flat in the number of exports: one acceptor thread serves every tcp:// export
     * (an acceptor each took a thread each), and each connection still reaches the driver of the
     * export it came to, both ways.
     */
    @Test
    public void everyTcpExportAcceptsOnOneThreadAndEachConnectionReachesItsOwnDriver() throws Exception {
        int n = 12;
        List<Socket> clients = new java.util.ArrayList<>();
        try {
            List<Registered> all = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                int port = freePort();
                all.add(driver("d" + i, "tcp://127.0.0.1:" + port));
                Socket c = new Socket(InetAddress.getLoopbackAddress(), port);
                c.setSoTimeout(10_000);
                clients.add(c);
                c.getOutputStream().write(("to d" + i + ";").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            assertEquals("acceptor threads for " + n + " tcp:// exports", 1, acceptorThreads());
            for (int i = 0; i < n; i++) {
                Drivers.TestStream s = firstStream(all.get(i).driver());
                waitSent(s, "to d" + i + ";");
                s.answer("from d" + i + ";");
                byte[] back = new byte[("from d" + i + ";").length()];
                new java.io.DataInputStream(clients.get(i).getInputStream()).readFully(back);
                assertEquals("from d" + i + ";", new String(back, java.nio.charset.StandardCharsets.UTF_8));
            }
        } finally {
            for (Socket c : clients) {
                c.close();
            }
        }
    }

    /**
     * An export that stops on the shared acceptor closes its own connections and frees its port at
     * once; another export's connection goes on being served, and its port keeps listening.
     */
    @Test
    public void anExportThatStopsClosesItsConnectionsAndLeavesTheOthersServing() throws Exception {
        int portA = freePort();
        int portB = freePort();
        Registered b = driver("b", "tcp://127.0.0.1:" + portB);
        assertNull(exports.addForward("org.netdrivers.forward~a", ListenAddress.parse("tcp://127.0.0.1:" + portA),
                Target.parse("b"), null));
        try (Socket toA = new Socket(InetAddress.getLoopbackAddress(), portA);
                Socket toB = new Socket(InetAddress.getLoopbackAddress(), portB)) {
            toA.setSoTimeout(10_000);
            toB.setSoTimeout(10_000);
            toA.getOutputStream().write('a');
            toB.getOutputStream().write('b');
            Drivers.await("both connections reached driver b", () -> b.driver().opened.size() >= 2);
            assertEquals("both connections reached driver b", 2, b.driver().opened.size());
            Drivers.await("the export's connection sent b", () -> streamSent(b.driver(), "b") != null);
            Drivers.TestStream ofB = streamSent(b.driver(), "b");

            exports.removeForward("org.netdrivers.forward~a", "configuration deleted");
            int got;
            try {
                got = toA.getInputStream().read();
            } catch (java.net.SocketException reset) {
                got = -1;
            }
            assertEquals("the stopped export's connection ended", -1, got);
            assertTrue("the stopped export's port is free", !accepts(portA));
            try (ServerSocket again = new ServerSocket(portA, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(portA, again.getLocalPort());
            }

            toB.getOutputStream().write('c');
            waitSent(ofB, "bc");
            ofB.answer("ok");
            byte[] back = new byte[2];
            new java.io.DataInputStream(toB.getInputStream()).readFully(back);
            assertEquals("ok", new String(back, java.nio.charset.StandardCharsets.UTF_8));
            assertTrue("the other export still listens", accepts(portB));
        }
    }

    /** The backlog of the socket listening on {@code port}, as {@code ss -ltn} shows it (Send-Q); -1 if not listed. */
    private static int listenBacklog(int port) throws Exception {
        Process p = new ProcessBuilder("ss", "-Hltn", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor();
        String[] fields = out.split("\\s+");
        return fields.length >= 3 && fields[0].equals("LISTEN") ? Integer.parseInt(fields[2]) : -1;
    }

    /**
     * Exports share one acceptor, yet each listens with the registry's backlog as it was when the
     * export started (Mina reads an acceptor's one backlog setting at each bind, and refuses to
     * change it while the acceptor listens).
     */
    @Test
    public void eachExportListensWithTheBacklogOfItsStart() throws Exception {
        if (!new java.io.File("/usr/bin/ss").canExecute() && !new java.io.File("/bin/ss").canExecute()) {
            System.out.println("SKIPPED eachExportListensWithTheBacklogOfItsStart: ss (iproute2) is not installed,"
                    + " and it is how the test reads a listening socket's backlog (apt-get install iproute2)");
            return;
        }
        int a = freePort();
        int b = freePort();
        settings.apply(new ConfigReader(Map.of("wait_ms", (int) WAIT_MS, "backlog", 7)));
        driver("a", "tcp://127.0.0.1:" + a);
        settings.apply(new ConfigReader(Map.of("wait_ms", (int) WAIT_MS, "backlog", 9)));
        driver("b", "tcp://127.0.0.1:" + b);
        assertEquals("export a's backlog", 7, listenBacklog(a));
        assertEquals("export b's backlog", 9, listenBacklog(b));
    }

    @Test
    public void stopAllStopsEveryExport() throws Exception {
        int a = freePort();
        driver("a", "tcp://127.0.0.1:" + a);
        exports.stopAll("registry stopping");
        assertTrue(exports.snapshot().isEmpty());
        assertTrue(!accepts(a));
    }


    @Test
    public void aWaiterHearsWhenTheExportOnItsAddressListensOrFails() throws Exception {
        int port = freePort();
        ListenAddress listen = ListenAddress.parse("tcp://127.0.0.1:" + port);
        java.util.concurrent.CompletableFuture<StreamRegistry.Export> started = exports.whenStarted(listen);
        assertTrue("nothing there yet", !started.isDone());
        exports.addForward("org.netdrivers.forward~w", listen, Target.parse("dut"), null);
        assertTrue(started.get(10, java.util.concurrent.TimeUnit.SECONDS).listening());
        assertTrue("asked again: at once", exports.whenStarted(listen).isDone());

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ListenAddress busy = ListenAddress.parse("tcp://127.0.0.1:" + taken.getLocalPort());
            java.util.concurrent.CompletableFuture<StreamRegistry.Export> failing = exports.whenStarted(busy);
            exports.addForward("org.netdrivers.forward~v", busy, Target.parse("dut"), null);
            StreamRegistry.Export e = failing.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(!e.listening());
            assertTrue(e.lastError().orElseThrow(), e.lastError().orElseThrow().startsWith("cannot listen on " + busy));
        }
    }
}
