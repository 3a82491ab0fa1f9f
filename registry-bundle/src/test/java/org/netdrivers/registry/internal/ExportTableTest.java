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

    @Test
    public void aDriversExportListensWhileTheDriverIsThere() throws Exception {
        int port = freePort();
        String listen = "tcp://127.0.0.1:" + port;
        driver("dut", listen);
        StreamRegistry.Export e = export(listen);
        assertNotNull(e);
        assertTrue(e.listening());
        assertEquals("dut", e.target());
        assertTrue(accepts(port));
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
        long deadline = System.nanoTime() + (LINGER_MS + 5_000) * 1_000_000;
        while (export(listen) != null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
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
