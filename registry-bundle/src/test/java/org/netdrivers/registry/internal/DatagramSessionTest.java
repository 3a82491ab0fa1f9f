package org.netdrivers.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.api.ByteStream;
import org.netdrivers.registry.internal.Drivers.Registered;
import org.netdrivers.registry.internal.Drivers.TestDriver;
import org.netdrivers.registry.internal.Drivers.TestStream;
import org.netdrivers.support.stream.QueuedStream;

/**
 * A UDP client session across a hot swap: datagrams keep their boundaries and order, wait for the
 * replacement while the driver is away, and answers still on their way from the old driver arrive.
 * The client is in memory (the test plays the UDP client); the drivers are
 * {@link Drivers.InMemoryService} views, no framework.
 */
public class DatagramSessionTest {
    private static final long BOUND_MS = Drivers.BOUND_MS;

    private Drivers drivers;
    private ScheduledExecutorService timer;
    private EndpointTable table;
    private MemoryClient client;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicReference<String> endedWhy = new AtomicReference<>();
    private final List<Throwable> refusals = new CopyOnWriteArrayList<>();

    /** The export's side of one UDP client, in memory: the test delivers its datagrams and reads what it is sent. */
    static final class MemoryClient extends QueuedStream {
        final List<String> received = new CopyOnWriteArrayList<>();

        MemoryClient() {
            super("test client", 1 << 20, 2048, true);
        }

        void datagram(String text) {
            delivered(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        public CompletionStage<Void> send(ByteBuffer chunk) {
            byte[] b = new byte[chunk.remaining()];
            chunk.get(b);
            received.add(new String(b, StandardCharsets.UTF_8));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> sendEof() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        protected void suspendReading() {
        }

        @Override
        protected void resumeReading() {
        }

        @Override
        protected void closeTransport() {
            transportClosed(false);
        }
    }

    @Before
    public void setUp() throws Exception {
        drivers = new Drivers();
        timer = Executors.newSingleThreadScheduledExecutor();
        table = new EndpointTable();
        client = new MemoryClient();
    }

    @After
    public void tearDown() throws Exception {
        timer.shutdownNow();
        drivers.close();
    }

    private Registered driver(String label) {
        Registered r = drivers.register(new TestDriver(label, true), "dut", 0);
        table.add(r.ref(), r.driver());
        return r;
    }

    private DatagramSession session(long waitMs) throws Exception {
        DatagramSession s = new DatagramSession(client, () -> table.open(Target.parse("dut"), waitMs, timer), endedWhy::set,
                refusals::add, dropped);
        ByteStream first = table.open(Target.parse("dut"), 0, timer).get(BOUND_MS, TimeUnit.MILLISECONDS);
        s.start(first);
        return s;
    }

    private static TestStream only(Registered r) {
        return r.driver().opened.peek();
    }

    /** {@code stream} was sent {@code expected}, no more, in that order. */
    private static void arrived(TestStream stream, List<String> expected) throws InterruptedException {
        Drivers.await(expected + " at " + stream, () -> stream.sent.size() >= expected.size());
        assertEquals(expected, stream.sent);
    }

    /**
     * A session whose driver has {@code datagram} on its way (written later, as a socket's write is)
     * when the registry hears that the driver goes away.
     *
     * @return the old driver's stream, its writes held
     */
    private TestStream onItsWayWhenTheDriverGoes(String datagram) throws Exception {
        Registered old = driver("old");
        DatagramSession session = session(BOUND_MS);
        TestStream oldStream = only(old);
        oldStream.holdWrites = true;
        client.datagram(datagram);
        Drivers.await("on its way to the old driver", () -> oldStream.sent.size() == 1);
        session.driverGoing(table.remove(old.ref().id()));
        return oldStream;
    }

    /**
     * A session whose driver went away, {@code waiting} sent meanwhile, and a replacement whose
     * connects the test completes ({@link #nextConnect}).
     */
    private Registered awayWithAManualReplacement(String... waiting) throws Exception {
        Registered old = driver("old");
        DatagramSession session = session(BOUND_MS);
        session.driverGoing(table.remove(old.ref().id()));
        for (String w : waiting) {
            client.datagram(w);
        }
        Registered replacement = drivers.register(new TestDriver("new", false), "dut", 0);
        table.add(replacement.ref(), replacement.driver());
        return replacement;
    }

    /** Completes the next connect to {@code driver} with {@code stream}. */
    private static void nextConnect(Registered driver, TestStream stream) throws InterruptedException {
        Drivers.await("a connect to " + driver.driver(), () -> !driver.driver().connects.isEmpty());
        driver.driver().connects.remove().complete(stream);
    }

    /** The session goes on, with nothing dropped. */
    private void nothingLost() {
        assertEquals(Optional.empty(), Optional.ofNullable(endedWhy.get()));
        assertEquals(0, dropped.get());
    }

    @Test
    public void datagramsGoOneByOneInOrderAndAnswersComeBack() throws Exception {
        Registered d = driver("one");
        session(BOUND_MS);
        client.datagram("a");
        client.datagram("bb");
        client.datagram("ccc");
        TestStream s = only(d);
        Drivers.await("three datagrams at the driver", () -> s.sent.size() == 3);
        assertEquals(List.of("a", "bb", "ccc"), s.sent);
        s.answer("A");
        s.answer("BB");
        Drivers.await("two answers at the client", () -> client.received.size() == 2);
        assertEquals(List.of("A", "BB"), client.received);
    }

    /**
     * A datagram the driver's stream refuses while it stays open (too large for the device's UDP)
     * is dropped and counted; the session goes on on the same stream, with no new connect.
     */
    @Test
    public void aDatagramTheDriverRefusesIsDroppedAndCountedAndTheSessionGoesOn() throws Exception {
        Registered d = driver("one");
        session(BOUND_MS);
        TestStream s = only(d);
        s.refuse = "too large";
        client.datagram("a");
        client.datagram("too large");
        client.datagram("b");
        arrived(s, List.of("a", "b"));
        assertEquals("dropped", 1, dropped.get());
        assertEquals("refusals told", 1, refusals.size());
        assertTrue(refusals.get(0).getMessage(), refusals.get(0).getMessage().contains("'too large' is too large"));
        assertEquals("streams the driver opened", 1, d.driver().opened.size());
        assertEquals(Optional.empty(), Optional.ofNullable(endedWhy.get()));
    }

    /** The same for a waiting datagram that the replacement refuses: the rest follow it. */
    @Test
    public void aWaitingDatagramTheReplacementRefusesIsDroppedAndTheRestFollow() throws Exception {
        Registered replacement = awayWithAManualReplacement("w1", "too large", "w2");
        TestStream refusing = new TestStream("new-1");
        refusing.refuse = "too large";
        nextConnect(replacement, refusing);
        arrived(refusing, List.of("w1", "w2"));
        client.datagram("after");
        arrived(refusing, List.of("w1", "w2", "after"));
        assertEquals("dropped", 1, dropped.get());
        assertEquals("connects to the replacement", 0, replacement.driver().connects.size());
    }

    /**
     * A driver whose new streams fail the waiting datagrams at once would be connected to again
     * and again: after five in a row the session ends, saying why.
     */
    @Test
    public void afterFiveReplacementsInARowThatFailTheSessionEnds() throws Exception {
        Registered flaky = awayWithAManualReplacement("w");
        for (int i = 1; i <= DatagramSession.MAX_FAILED_REPLACEMENTS; i++) {
            TestStream dead = new TestStream("dead-" + i);
            dead.close();
            nextConnect(flaky, dead);
        }
        Drivers.await("the session's end", () -> endedWhy.get() != null);
        assertTrue(endedWhy.get(), endedWhy.get().startsWith("the driver's streams failed the waiting datagrams 5 times in a row"));
        Drivers.await("the client closed", () -> client.closed().toCompletableFuture().isDone());
        assertEquals("no sixth connect", 0, flaky.driver().connects.size());
    }

    @Test
    public void aDatagramWhoseWriteFailsGoesToTheReplacementBeforeThoseAfterIt() throws Exception {
        Registered old = driver("old");
        session(BOUND_MS);
        TestStream oldStream = only(old);
        oldStream.holdWrites = true;
        for (int i = 0; i < 5; i++) {
            client.datagram("f" + i);
        }
        Drivers.await("the first on its way to the old driver, the rest queued behind it", () -> oldStream.sent.size() == 1);
        table.remove(old.ref().id()); // the registry forgets it, but nobody told the session
        Registered replacement = driver("new");
        oldStream.completeWrites(new org.netdrivers.api.StreamClosedException("old: closed before written"));
        oldStream.close();
        Drivers.await("the replacement's stream", () -> !replacement.driver().opened.isEmpty());
        TestStream newStream = only(replacement);
        arrived(newStream, List.of("f0", "f1", "f2", "f3", "f4"));
        client.datagram("f5");
        arrived(newStream, List.of("f0", "f1", "f2", "f3", "f4", "f5"));
        nothingLost();
    }

    @Test
    public void aReplacementThatFailsItsFirstWriteLeavesTheDatagramsWaitingForTheNextStream() throws Exception {
        Registered flaky = awayWithAManualReplacement("w1", "w2");
        TestStream dead = new TestStream("dead");
        dead.close(); // gone before the waiting datagrams reach it
        nextConnect(flaky, dead);
        Drivers.await("a second connect", () -> !flaky.driver().connects.isEmpty());
        TestStream good = flaky.driver().completeNext();
        arrived(good, List.of("w1", "w2"));
        nothingLost();
    }

    @Test
    public void aDatagramWhoseWriteFailsAfterTheReplacementTookOverGoesToIt() throws Exception {
        TestStream oldStream = onItsWayWhenTheDriverGoes("late");
        Registered replacement = driver("new");
        Drivers.await("the replacement's stream", () -> !replacement.driver().opened.isEmpty());
        oldStream.completeWrites(new org.netdrivers.api.StreamClosedException("old: closed before written"));
        TestStream newStream = only(replacement);
        arrived(newStream, List.of("late"));
        client.datagram("next");
        arrived(newStream, List.of("late", "next"));
        nothingLost();
    }

    @Test
    public void thousandsOfQueuedDatagramsWhileTheDriverIsAwayTakeNoDeepStack() throws Exception {
        TestStream oldStream = onItsWayWhenTheDriverGoes("first"); // the rest queue in the client's stream meanwhile
        int n = 20_000; // a client's stream may queue this many small datagrams (1 MiB of 50 B each)
        for (int i = 0; i < n; i++) {
            client.datagram("q" + i);
        }
        oldStream.completeWrites(null);
        Drivers.await("all but the waiting bound dropped and counted", () -> dropped.get() == n - DatagramSession.MAX_PENDING);
        assertEquals(Optional.empty(), Optional.ofNullable(endedWhy.get()));
    }

    @Test
    public void whileTheDriverIsAwayDatagramsWaitAndGoToTheReplacementInOrder() throws Exception {
        Registered old = driver("old");
        DatagramSession session = session(BOUND_MS);
        TestStream oldStream = only(old);
        client.datagram("before");
        Drivers.await("the first datagram at the old driver", () -> oldStream.sent.size() == 1);

        EndpointEntry gone = table.remove(old.ref().id());
        session.driverGoing(gone);
        client.datagram("w1");
        client.datagram("w2");
        oldStream.answer("late answer"); // on its way from the old driver: still delivered
        Drivers.await("the late answer", () -> client.received.contains("late answer"));

        Registered replacement = driver("new");
        Drivers.await("the replacement's stream", () -> !replacement.driver().opened.isEmpty());
        TestStream newStream = only(replacement);
        Drivers.await("the waiting datagrams at the replacement", () -> newStream.sent.size() == 2);
        assertEquals(List.of("w1", "w2"), newStream.sent);
        assertEquals("nothing more went to the old driver", List.of("before"), oldStream.sent);
        client.datagram("after");
        Drivers.await("a new datagram at the replacement", () -> newStream.sent.size() == 3);
        assertEquals(0, dropped.get());
    }

    @Test
    public void pastTheBoundOfWaitingDatagramsTheRestAreDroppedAndCounted() throws Exception {
        Registered old = driver("old");
        DatagramSession session = session(BOUND_MS);
        session.driverGoing(table.remove(old.ref().id()));
        int extra = 5;
        for (int i = 0; i < DatagramSession.MAX_PENDING + extra; i++) {
            client.datagram("d" + i);
        }
        Drivers.await("the extra datagrams counted", () -> dropped.get() == extra);
        Registered replacement = driver("new");
        Drivers.await("the replacement's stream", () -> !replacement.driver().opened.isEmpty());
        TestStream s = only(replacement);
        Drivers.await("the kept datagrams at the replacement", () -> s.sent.size() == DatagramSession.MAX_PENDING);
        assertEquals("the first ones are kept, in order", "d0", s.sent.get(0));
        assertEquals("d" + (DatagramSession.MAX_PENDING - 1), s.sent.get(DatagramSession.MAX_PENDING - 1));
    }

    @Test
    public void withoutAReplacementWithinTheBoundTheSessionEndsSayingWhy() throws Exception {
        Registered old = driver("old");
        DatagramSession session = session(200);
        TestStream oldStream = only(old);
        session.driverGoing(table.remove(old.ref().id()));
        client.datagram("waits in vain");
        Drivers.await("the session's end", () -> endedWhy.get() != null);
        assertEquals("no driver for the waiting datagrams: no driver matching 'dut' appeared within 200 ms", endedWhy.get());
        Drivers.await("the client closed", () -> client.closed().toCompletableFuture().isDone());
        oldStream.close(); // the old driver closes its streams after its drain
    }

    @Test
    public void whenTheClientSessionEndsItsDriverStreamCloses() throws Exception {
        Registered d = driver("one");
        session(BOUND_MS);
        TestStream s = only(d);
        client.close();
        Drivers.await("the driver stream closed", s::isClosed);
        assertTrue(endedWhy.get() == null);
    }

    @Test
    public void aDriverStreamThatEndsUnannouncedIsReplacedAndTheDatagramWaitsForIt() throws Exception {
        Registered old = driver("old");
        session(BOUND_MS);
        TestStream oldStream = only(old);
        table.remove(old.ref().id()); // the registry forgets it, but nobody told the session
        oldStream.close(); // the driver closed its stream: the session's next send fails
        Registered replacement = driver("new");
        client.datagram("x");
        Drivers.await("the datagram at the replacement", () -> !replacement.driver().opened.isEmpty()
                && only(replacement).sent.contains("x"));
        assertEquals(Optional.empty(), Optional.ofNullable(endedWhy.get()));
    }
}
