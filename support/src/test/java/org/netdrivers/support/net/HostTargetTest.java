package org.netdrivers.support.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;

/**
 * A driver's target follows its host name, looking it up again at most once an interval and
 * never on the connecting thread. Name lookups are real and go to a hosts file of this test
 * ({@code jdk.net.hosts.file}, with no answer cached: the surefire execution {@code driver-retry}
 * in this module's pom sets both), so the test decides where the name points. Nothing is sent on
 * any network. DriverRetryTest follows a name with real connects and the service property.
 */
public class HostTargetTest {
    private static final String NAME = "dut-target.test";
    private static final int PORT = 7;

    private Path hosts;
    /** Lookup tasks handed to the executor of the tests that run them by hand (a stand-in for the lookup thread, to hold a lookup under way). */
    private final List<Runnable> lookups = new CopyOnWriteArrayList<>();
    private final Executor byHand = lookups::add;

    @Before
    public void setUp() throws Exception {
        String file = System.getProperty("jdk.net.hosts.file");
        Assume.assumeTrue("runs in the surefire execution driver-retry only (it sets jdk.net.hosts.file)", file != null);
        hosts = Path.of(file);
        pointTo("127.0.0.2");
    }

    private void pointTo(String ip) throws Exception {
        Files.writeString(hosts, "127.0.0.1 localhost\n" + (ip == null ? "" : ip + " " + NAME + "\n"));
    }

    private static InetSocketAddress at(String ip) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), PORT);
    }

    private static InetSocketAddress now(HostTarget target) throws Exception {
        return target.forConnect().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    public void theIntervalIsTheJvmsCacheTimeOfAnAnswerAndAtLeastOneSecond() {
        // name-lookups.security sets networkaddress.cache.ttl=0: the JVM caches nothing
        assertEquals(1, HostTarget.lookupIntervalSeconds());
        assertTrue(new HostTarget(NAME, new InetSocketAddress(PORT), "test").followsName());
        assertFalse("an IP literal is never looked up", new HostTarget("127.0.0.2", new InetSocketAddress(PORT), "test").followsName());
        assertFalse(new HostTarget("[::1]", new InetSocketAddress(PORT), "test").followsName());
    }

    @Test
    public void connectsWithinTheIntervalUseTheLastAnswerWithoutALookup() throws Exception {
        HostTarget target = new HostTarget(NAME, at("127.0.0.2"), "test", 3600, byHand);
        pointTo("127.0.0.3");
        CompletableFuture<InetSocketAddress> f = target.forConnect().toCompletableFuture();
        assertTrue("answered at once, on the caller's thread", f.isDone());
        assertEquals(at("127.0.0.2"), f.get());
        assertEquals("no lookup", 0, lookups.size());
    }

    @Test
    public void connectsDuringALookupWaitForItsAnswerAndOneLookupServesThemAll() throws Exception {
        HostTarget target = new HostTarget(NAME, at("127.0.0.2"), "test", 1, byHand);
        AtomicInteger changes = new AtomicInteger();
        target.onChange(changes::incrementAndGet);
        pointTo("127.0.0.3");
        Thread.sleep(1_100); // the answer has aged past the interval
        CompletableFuture<InetSocketAddress> first = target.forConnect().toCompletableFuture();
        CompletableFuture<InetSocketAddress> second = target.forConnect().toCompletableFuture();
        assertFalse("waits for the lookup", first.isDone());
        assertSame("one lookup for both", first, second);
        assertEquals(1, lookups.size());
        lookups.get(0).run();
        assertEquals(at("127.0.0.3"), first.get());
        assertEquals(at("127.0.0.3"), target.current());
        assertEquals("listeners told once", 1, changes.get());
        CompletableFuture<InetSocketAddress> next = target.forConnect().toCompletableFuture();
        assertTrue("the new answer serves at once", next.isDone());
        assertEquals(at("127.0.0.3"), next.get());
        assertEquals("no second lookup within the interval", 1, lookups.size());
    }

    @Test
    public void aNameThatNoLongerResolvesKeepsItsLastAddressUntilItResolvesAgain() throws Exception {
        HostTarget target = new HostTarget(NAME, at("127.0.0.2"), "test", 1, Runnable::run);
        AtomicInteger changes = new AtomicInteger();
        target.onChange(changes::incrementAndGet);
        pointTo(null);
        Thread.sleep(1_100);
        assertEquals("the last address while the name does not resolve", at("127.0.0.2"), now(target));
        assertEquals(0, changes.get());
        pointTo("127.0.0.4");
        Thread.sleep(1_100);
        assertEquals("the new address once it resolves again", at("127.0.0.4"), now(target));
        assertEquals(1, changes.get());
    }

    @Test
    public void theDefaultLookupThreadIsNotTheCallersAndEndsWhenIdle() throws Exception {
        HostTarget target = new HostTarget(NAME, at("127.0.0.2"), "test");
        assertEquals(at("127.0.0.2"), target.current());
        // the public constructor's interval is the JVM's (1 s here), its lookups on the netdrivers-lookup thread
        pointTo("127.0.0.5");
        Thread.sleep(1_100);
        List<String> told = new CopyOnWriteArrayList<>();
        target.onChange(() -> told.add(Thread.currentThread().getName()));
        assertEquals(at("127.0.0.5"), now(target));
        assertEquals("the change is told on the lookup thread", List.of("netdrivers-lookup"), told);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (lookupThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse("the lookup thread ends a second after its last lookup", lookupThreadAlive());
    }

    private static boolean lookupThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("netdrivers-lookup"));
    }
}
