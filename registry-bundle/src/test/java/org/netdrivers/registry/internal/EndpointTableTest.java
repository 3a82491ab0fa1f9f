package org.netdrivers.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.registry.internal.Drivers.Registered;
import org.netdrivers.registry.internal.Drivers.TestDriver;

/**
 * How the registry picks a driver for a connection and waits for one: best match, the wait bound,
 * and a driver that goes away in the middle of a connect. No framework: the drivers are
 * {@link Drivers.InMemoryService} views (the Felix itests drive the same code through real
 * service references).
 */
public class EndpointTableTest {
    private static final long BOUND_S = 10;

    private Drivers drivers;
    private ScheduledExecutorService timer;
    private EndpointTable table;

    @Before
    public void setUp() throws Exception {
        drivers = new Drivers();
        timer = Executors.newSingleThreadScheduledExecutor();
        table = new EndpointTable();
    }

    @After
    public void tearDown() throws Exception {
        timer.shutdownNow();
        drivers.close();
    }

    private EndpointEntry add(Registered r) {
        return table.add(r.ref(), r.driver());
    }

    private String openedFrom(String target, long waitMs) throws Exception {
        ByteStream s = table.open(Target.parse(target), waitMs, timer).get(BOUND_S, TimeUnit.SECONDS);
        return s.toString();
    }

    private Throwable failureOf(CompletableFuture<ByteStream> open) throws Exception {
        try {
            open.get(BOUND_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        fail("the open succeeded");
        return null;
    }

    @Test
    public void theHighestRankingDriverOfTheNameIsChosen() throws Exception {
        add(drivers.register(new TestDriver("low", true), "dut", 0));
        add(drivers.register(new TestDriver("high", true), "dut", 10));
        add(drivers.register(new TestDriver("other", true), "other", 100));
        assertEquals("high", openedFrom("dut", 0));
    }

    @Test
    public void onEqualRankingTheDriverRegisteredFirstIsChosen() throws Exception {
        add(drivers.register(new TestDriver("first", true), "dut", 5));
        add(drivers.register(new TestDriver("second", true), "dut", 5));
        assertEquals("first", openedFrom("dut", 0));
    }

    @Test
    public void anLdapFilterSelectsByAnyServiceProperty() throws Exception {
        add(drivers.register(new TestDriver("bench-1", true), "a", 0, "bench", "1"));
        add(drivers.register(new TestDriver("bench-2", true), "b", 0, "bench", "2"));
        assertEquals("bench-2", openedFrom("(bench=2)", 0));
        assertEquals("bench-1", openedFrom("(&(network.type=test)(bench=1))", 0));
    }

    @Test
    public void anLdapFilterReadsPropertyNamesWithoutRegardToCase() throws Exception {
        add(drivers.register(new TestDriver("bench-3", true), "c", 0, "Bench", "3"));
        assertEquals("as a framework's filter does", "bench-3", openedFrom("(bench=3)", 0));
    }

    @Test
    public void aWaiterWhoseFilterMatchesOnlyAfterADriversPropertiesChangeGetsThatDriver() throws Exception {
        Registered r = drivers.register(new TestDriver("dbus", true), "bus", 0, "network.address", "none yet");
        EndpointEntry e = add(r);
        CompletableFuture<ByteStream> open = table.open(Target.parse("(network.address=unix:/run/bus)"), 10_000, timer);
        Thread.sleep(50);
        assertFalse("nothing matches yet", open.isDone());
        r.ref().set("network.address", "unix:/run/bus");
        assertFalse("the address is not the endpoint's identity", e.identityChanged());
        table.propertiesChanged(e);
        assertEquals("dbus", open.get(BOUND_S, TimeUnit.SECONDS).toString());
    }

    @Test
    public void aChangedNameOrExportMakesAnotherEndpoint() throws Exception {
        Registered r = drivers.register(new TestDriver("d", true), "dut", 0);
        EndpointEntry e = add(r);
        r.ref().set("network.export", "tcp://127.0.0.1:1");
        assertTrue("export changed", e.identityChanged());
        Registered s = drivers.register(new TestDriver("d2", true), "dut", 0);
        EndpointEntry f = add(s);
        s.ref().set("network.name", "dut2");
        assertTrue("name changed", f.identityChanged());
    }

    @Test
    public void withNoWaitAndNoDriverTheOpenFailsAtOnceNamingTheTarget() throws Exception {
        Throwable t = failureOf(table.open(Target.parse("nobody"), 0, timer));
        assertTrue(t.toString(), t instanceof NoSuchElementException);
        assertEquals("no driver matches 'nobody'", t.getMessage());
    }

    @Test
    public void anOpenWaitsForADriverRegisteredWithinTheBound() throws Exception {
        CompletableFuture<ByteStream> open = table.open(Target.parse("late"), 10_000, timer);
        Thread.sleep(50);
        assertFalse("still waiting", open.isDone());
        add(drivers.register(new TestDriver("late-driver", true), "late", 0));
        assertEquals("late-driver", open.get(BOUND_S, TimeUnit.SECONDS).toString());
    }

    @Test
    public void anOpenThatWaitsInVainFailsAfterTheBoundSayingSo() throws Exception {
        Throwable t = failureOf(table.open(Target.parse("never"), 200, timer));
        assertTrue(t.toString(), t instanceof NoSuchElementException);
        assertEquals("no driver matching 'never' appeared within 200 ms", t.getMessage());
    }

    @Test
    public void aWaiterIsNotWokenByADriverOfAnotherName() throws Exception {
        CompletableFuture<ByteStream> open = table.open(Target.parse("mine"), 10_000, timer);
        add(drivers.register(new TestDriver("theirs", true), "theirs", 0));
        Thread.sleep(50);
        assertFalse(open.isDone());
        add(drivers.register(new TestDriver("mine-driver", true), "mine", 0));
        assertEquals("mine-driver", open.get(BOUND_S, TimeUnit.SECONDS).toString());
    }

    @Test
    public void aDriverWhoseConnectFailsFailsTheOpenWithItsReason() throws Exception {
        TestDriver d = new TestDriver("refusing", false);
        add(drivers.register(d, "dut", 0));
        CompletableFuture<ByteStream> open = table.open(Target.parse("dut"), 10_000, timer);
        d.connects.remove().completeExceptionally(new java.net.ConnectException("Connection refused"));
        Throwable t = failureOf(open);
        assertTrue(t.toString(), t instanceof java.net.ConnectException);
        assertEquals("Connection refused", t.getMessage());
    }

    @Test
    public void aConnectUnderWayWhenItsDriverGoesIsRetriedOnTheReplacement() throws Exception {
        TestDriver old = new TestDriver("old", false);
        Registered r = drivers.register(old, "dut", 0);
        EndpointEntry oldEntry = add(r);
        CompletableFuture<ByteStream> open = table.open(Target.parse("dut"), 10_000, timer);
        assertEquals("the old driver was asked", 1, old.connects.size());

        table.remove(r.ref().id()); // the old driver goes, its connect still under way
        add(drivers.register(new TestDriver("new", true), "dut", 0));
        assertEquals("new", open.get(BOUND_S, TimeUnit.SECONDS).toString());

        Drivers.TestStream late = old.completeNext(); // the old driver's connect completes after all
        assertTrue("a stream the caller no longer waits for is closed", late.isClosed());
        assertEquals("streams open from the old driver", 0, oldEntry.open.get());
        assertEquals("streams handed out by the old driver", 0, oldEntry.total.get());
    }

    @Test
    public void aStreamThatArrivesFromADriverGoneMeanwhileIsClosedAndTheNextDriverServes() throws Exception {
        TestDriver old = new TestDriver("old", false);
        Registered r = drivers.register(old, "dut", 0);
        EndpointEntry entry = add(r);
        CompletableFuture<ByteStream> open = table.open(Target.parse("dut"), 10_000, timer);
        entry.gone = true; // the registry heard of the going only as the stream arrived
        Drivers.TestStream s = old.completeNext();
        assertTrue(s.isClosed());
        table.remove(r.ref().id());
        add(drivers.register(new TestDriver("new", true), "dut", 0));
        assertEquals("new", open.get(BOUND_S, TimeUnit.SECONDS).toString());
    }

    @Test
    public void aDriverGoneForGoodFailsTheOpenWhenTheBoundRunsOut() throws Exception {
        TestDriver old = new TestDriver("old", false);
        Registered r = drivers.register(old, "dut", 0);
        add(r);
        CompletableFuture<ByteStream> open = table.open(Target.parse("dut"), 300, timer);
        table.remove(r.ref().id());
        Throwable t = failureOf(open);
        assertTrue(t.toString(), t instanceof NoSuchElementException || t instanceof StreamClosedException);
    }

    /** Not retried until the bound, as a driver going away is: the registry stops. */
    @Test
    public void failWaitersEndsEveryWaitingOpenWithTheReasonAtOnce() throws Exception {
        CompletableFuture<ByteStream> open = table.open(Target.parse("x"), 10_000, timer);
        StreamClosedException reason = new StreamClosedException("registry stopping");
        table.failWaiters(reason);
        try {
            open.get(2, TimeUnit.SECONDS); // well within the open's own bound of 10 s
            fail("the open succeeded");
        } catch (ExecutionException e) {
            assertSame(reason, e.getCause());
        }
    }

    @Test
    public void theEntryCountsItsOpenAndTotalStreams() throws Exception {
        EndpointEntry e = add(drivers.register(new TestDriver("d", true), "dut", 0));
        ByteStream a = table.open(Target.parse("dut"), 0, timer).get(BOUND_S, TimeUnit.SECONDS);
        table.open(Target.parse("dut"), 0, timer).get(BOUND_S, TimeUnit.SECONDS);
        assertEquals(2, e.total.get());
        assertEquals(2, e.open.get());
        a.close();
        assertEquals(1, e.open.get());
    }

    /**
     * A caller woken by its open (here a dependent of the open, which runs as the open completes)
     * finds the stream counted: a connect that completes on another thread (an I/O thread) leaves
     * no moment in which the caller holds a stream the endpoint does not count yet.
     */
    @Test
    public void aStreamIsCountedBeforeItsCallerHasIt() throws Exception {
        TestDriver d = new TestDriver("later", false);
        EndpointEntry e = add(drivers.register(d, "dut", 0));
        CompletableFuture<String> seen = table.open(Target.parse("dut"), 0, timer)
                .thenApply(s -> "open " + e.open.get() + ", total " + e.total.get());
        CompletableFuture.runAsync(d::completeNext).get(BOUND_S, TimeUnit.SECONDS);
        assertEquals("open 1, total 1", seen.get(BOUND_S, TimeUnit.SECONDS));
    }

    /**
     * The bytes of relayed streams, which the entry reads from their sessions while they live and
     * adds up when they end: a snapshot taken while they end counts each once. The streams are
     * stand-ins with fixed counts (a relay's sessions are the itests' part).
     */
    @Test
    public void aSnapshotCountsARelayedStreamThatEndsMeanwhileOnce() throws Exception {
        EndpointEntry e = add(drivers.register(new TestDriver("d", true), "dut", 0));
        int streams = 20_000;
        java.util.List<EndedStandIn> ending = new java.util.ArrayList<>();
        for (int i = 0; i < streams; i++) {
            EndedStandIn s = new EndedStandIn();
            e.relayed(s);
            ending.add(s);
        }
        CompletableFuture<Void> ender = CompletableFuture.runAsync(() -> ending.forEach(s -> s.closed.complete(null)));
        long snapshots = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
        while (!ender.isDone() && System.nanoTime() < deadline) {
            StreamRegistry.Endpoint seen = e.snapshot();
            assertEquals("bytes in, snapshot " + snapshots, streams * EndedStandIn.IN, seen.bytesIn());
            assertEquals("bytes out, snapshot " + snapshots, streams * EndedStandIn.OUT, seen.bytesOut());
            snapshots++;
        }
        ender.get(BOUND_S, TimeUnit.SECONDS);
        assertEquals(streams * EndedStandIn.IN, e.snapshot().bytesIn());
        System.out.println("aSnapshotCountsARelayedStreamThatEndsMeanwhileOnce: " + snapshots + " snapshots while they ended");
    }

    /** A stand-in for a relayed transport stream: it has carried its bytes, and ends when told. */
    private static final class EndedStandIn implements org.netdrivers.io.TransportStream {
        static final long IN = 1000;
        static final long OUT = 7;
        final CompletableFuture<Void> closed = new CompletableFuture<>();

        @Override
        public long bytesIn() {
            return IN;
        }

        @Override
        public long bytesOut() {
            return OUT;
        }

        @Override
        public boolean readyForHandOver() {
            return false;
        }

        @Override
        public org.netdrivers.io.Handover handOver() {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.concurrent.CompletionStage<java.util.Optional<java.nio.ByteBuffer>> receive() {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> send(java.nio.ByteBuffer chunk) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> sendEof() {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> closed() {
            return closed;
        }

        @Override
        public void close() {
            closed.complete(null);
        }
    }

    @Test
    public void aDriverThatRefusesAsItGoesIsLeftForItsReplacementOnceTheRegistryLetsItGo() throws Exception {
        TestDriver going = new TestDriver("going", false);
        Registered r = drivers.register(going, "dut", 0);
        add(r);
        CompletableFuture<ByteStream> open = table.open(Target.parse("dut"), 10_000, timer);
        going.connects.remove().completeExceptionally(new StreamClosedException("tcp driver 'dut' is going away"));
        Thread.sleep(50);
        assertFalse("it waits for the registry to let the driver go, without asking it again", open.isDone());
        assertTrue("not asked again", going.connects.isEmpty());
        table.remove(r.ref().id());
        add(drivers.register(new TestDriver("replacement", true), "dut", 0));
        assertEquals("replacement", open.get(BOUND_S, TimeUnit.SECONDS).toString());
    }

    @Test
    public void aDriverThatRefusesAndStaysFailsTheOpenWithItsReasonWhenTheBoundRunsOut() throws Exception {
        TestDriver stuck = new TestDriver("stuck", false);
        add(drivers.register(stuck, "dut", 0));
        CompletableFuture<ByteStream> open = table.open(Target.parse("dut"), 200, timer);
        StreamClosedException refusal = new StreamClosedException("going away");
        stuck.connects.remove().completeExceptionally(refusal);
        assertSame(refusal, failureOf(open));
    }
}
