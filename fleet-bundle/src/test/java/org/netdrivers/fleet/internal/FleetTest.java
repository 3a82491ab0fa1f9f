package org.netdrivers.fleet.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Two runtimes on one ZooKeeper (curator-test's in-process server): publish, watch, removal. */
public class FleetTest {
    private TestingServer zookeeper;

    /** Events a runtime's watcher reports, as text: "+RUNTIME/NAME type address fleet" or "-RUNTIME/NAME". */
    private final BlockingQueue<String> seenByB = new LinkedBlockingQueue<>();

    private final Fleet.Remotes recorder = new Fleet.Remotes() {
        @Override
        public void appeared(String runtime, String name, EndpointRecord r) {
            seenByB.add("+" + runtime + "/" + name + " " + r.type() + " " + r.address() + " " + r.fleet());
        }

        @Override
        public void gone(String runtime, String name) {
            seenByB.add("-" + runtime + "/" + name);
        }

        @Override
        public void unknown() {
            seenByB.add("-*");
        }
    };

    /** Every runtime a test made, closed after it (close is idempotent: a test may close one itself). */
    private final java.util.List<Fleet> fleets = new java.util.ArrayList<>();

    private Fleet fleet(String connect, String runtime, int sessionTimeoutMs, Fleet.Remotes remotes) {
        return closedAfter(new Fleet(connect, runtime, sessionTimeoutMs, remotes));
    }

    private Fleet fleet(String connect, String runtime, String id, int sessionTimeoutMs, Fleet.Remotes remotes) {
        return closedAfter(new Fleet(connect, runtime, id, sessionTimeoutMs, remotes));
    }

    private Fleet closedAfter(Fleet f) {
        fleets.add(f);
        return f;
    }

    @Before
    public void startZooKeeper() throws Exception {
        zookeeper = new TestingServer(true);
    }

    @After
    public void stopZooKeeper() throws Exception {
        fleets.forEach(Fleet::close); // the runtimes first: a close with the server gone waits for it
        zookeeper.close();
    }

    @Test
    public void publishedEndpointIsSeenByTheOtherRuntimeAndGoesWithItsOwner() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString(), "bench-a", 10000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        a.start();
        b.start();
        a.publish("dut", new EndpointRecord("tcp", "tcp://192.0.2.7:22", "c", "tcp://192.0.2.1:7443"));
        b.publish("own", new EndpointRecord("echo", "echo:own", "c", "tcp://192.0.2.2:7443"));

        assertEquals("+bench-a/dut tcp tcp://192.0.2.7:22 tcp://192.0.2.1:7443", next());
        a.publish("dut", new EndpointRecord("tcp", "tcp://192.0.2.8:22", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut tcp tcp://192.0.2.8:22 tcp://192.0.2.1:7443", next());
        a.unpublish("dut");
        assertEquals("-bench-a/dut", next());

        a.publish("dut2", new EndpointRecord("udp", "", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut2 udp  tcp://192.0.2.1:7443", next());
        a.close(); // the runtime stops: its ephemeral nodes go with its session
        assertEquals("-bench-a/dut2", next());
        assertNull("b never reports its own endpoint", seenByB.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    public void unpublishAndCloseDoNotWaitForAZooKeeperThatIsGone() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString(), "bench-a", 10000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        a.start();
        b.start();
        a.publish("dut", new EndpointRecord("tcp", "tcp://192.0.2.7:22", "c", "tcp://192.0.2.1:7443"));
        a.publish("dut2", new EndpointRecord("tcp", "tcp://192.0.2.7:23", "c", "tcp://192.0.2.1:7443"));
        next();
        next();
        zookeeper.stop();
        long start = System.nanoTime();
        // a liveness deadline, not a speed limit: the deletes get CLOSE_WAIT_MS and ending the session without
        // a server a few seconds more; waiting on the retry policy instead (29 retries, up to 30 s each) hangs here
        java.util.concurrent.CompletableFuture<Void> closed = java.util.concurrent.CompletableFuture.runAsync(() -> {
            a.unpublish("dut");
            a.close();
        });
        closed.get(60, TimeUnit.SECONDS);
        System.out.println("unpublish and close with ZooKeeper gone: " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    @Test
    public void anExpiredSessionTakesTheEndpointAwayAndPersistentNodeBringsItBack() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString(), "bench-a", 10000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        a.start();
        b.start();
        a.publish("dut", new EndpointRecord("tcp", "tcp://192.0.2.7:22", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut tcp tcp://192.0.2.7:22 tcp://192.0.2.1:7443", next());

        // the server ends a's session (as when a runtime was cut off for longer than its session
        // timeout): closing it from a second client with its id and password expires it at once
        ZooKeeper session = a.client().getZookeeperClient().getZooKeeper();
        CountDownLatch joined = new CountDownLatch(1);
        ZooKeeper other = new ZooKeeper(zookeeper.getConnectString(), 10000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                joined.countDown();
            }
        }, session.getSessionId(), session.getSessionPasswd());
        assertTrue(joined.await(10, TimeUnit.SECONDS));
        other.close();

        assertEquals("-bench-a/dut", next());
        assertEquals("+bench-a/dut tcp tcp://192.0.2.7:22 tcp://192.0.2.1:7443", next());
    }

    @Test
    public void aChrootSeparatesFleets() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString() + "/lab1", "bench-a", 10000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString() + "/lab1", "bench-b", 10000, recorder);
        Fleet other = fleet(zookeeper.getConnectString() + "/lab2", "bench-c", 10000, ignoring());
        a.start();
        b.start();
        other.start();
        other.publish("elsewhere", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.3:7443"));
        a.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut tcp  tcp://192.0.2.1:7443", next());
        assertNull("lab2 is another fleet", seenByB.poll(500, TimeUnit.MILLISECONDS));
        ZooKeeper whole = b.client().getZookeeperClient().getZooKeeper(); // below Curator's namespace
        assertTrue(whole.exists("/lab1" + Fleet.path("bench-a", "dut"), false) != null);
        assertTrue(whole.exists("/lab2" + Fleet.path("bench-c", "elsewhere"), false) != null);
    }

    /**
     * Two runtimes configured with one name: the first holds it and publishes; the second publishes
     * nothing (its node would overwrite the first one's data while the node stays the first one's
     * session's), and takes over when the first leaves.
     */
    @Test
    public void aRuntimeNameHasOneHolderAndTheSecondTakesOverWhenTheFirstLeaves() throws Exception {
        Fleet a1 = fleet(zookeeper.getConnectString(), "bench-a", "tcp://192.0.2.1:7443", 10000, ignoring());
        Fleet a2 = fleet(zookeeper.getConnectString(), "bench-a", "tcp://192.0.2.2:7443", 10000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        a1.start();
        b.start();
        a1.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut tcp  tcp://192.0.2.1:7443", next());
        a2.start();
        a2.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.2:7443"));
        assertNull("the second bench-a publishes nothing", seenByB.poll(1000, TimeUnit.MILLISECONDS));
        assertTrue("the first holds the name", a1.owner());
        assertFalse("the second does not", a2.owner());
        Stat stat = b.client().checkExists().forPath(Fleet.path("bench-a", "dut"));
        assertEquals("the first runtime's node", a1.client().getZookeeperClient().getZooKeeper().getSessionId(),
                stat.getEphemeralOwner());
        a1.close();
        assertEquals("-bench-a/dut", next());
        assertEquals("the second takes over", "+bench-a/dut tcp  tcp://192.0.2.2:7443", next());
        assertTrue(a2.owner());
    }

    /**
     * ZooKeeper down for longer than the session timeout: the other runtimes' endpoints are
     * withdrawn (unknown), and appear again when it answers.
     */
    @Test
    public void remoteEndpointsAreWithdrawnWhenTheSessionIsLostAndBackWithZooKeeper() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString(), "bench-a", 4000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 4000, recorder);
        a.start();
        b.start();
        a.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut tcp  tcp://192.0.2.1:7443", next());
        zookeeper.stop();
        assertNull("kept while the session may live on", seenByB.poll(2000, TimeUnit.MILLISECONDS));
        assertEquals("withdrawn once the session timeout passed", "-*", next());
        zookeeper.restart();
        assertEquals("back with ZooKeeper", "+bench-a/dut tcp  tcp://192.0.2.1:7443", next());
    }

    /** The same record published again (another service property changed) writes nothing. */
    @Test
    public void anUnchangedRecordIsNotWrittenAgain() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString(), "bench-a", 10000, ignoring());
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        a.start();
        b.start();
        a.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:7443"));
        assertEquals("+bench-a/dut tcp  tcp://192.0.2.1:7443", next());
        a.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:7443"));
        a.publish("dut", new EndpointRecord("tcp", "tcp://192.0.2.9:22", "c", "tcp://192.0.2.1:7443"));
        assertEquals("only the change", "+bench-a/dut tcp tcp://192.0.2.9:22 tcp://192.0.2.1:7443", next());
        assertEquals(1, b.client().checkExists().forPath(Fleet.path("bench-a", "dut")).getVersion());
    }

    /**
     * A record that changes before its node's create is answered (the answer waits on ZooKeeper's
     * event thread) goes to that node: the other runtime never sees the endpoint go.
     */
    @Test
    public void aRecordChangedBeforeItsNodeIsCreatedIsWrittenToThatNode() throws Exception {
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        b.start();
        changedBeforeTheCreateIsAnswered();
        assertEquals("created, then written once", 1,
                b.client().checkExists().forPath(Fleet.path("bench-a", "dut")).getVersion());
    }

    /**
     * The same when the node is found already there (left by an earlier session of the runtime, a
     * process killed and started again): the found node takes the newest record.
     */
    @Test
    public void aRecordChangedBeforeAFoundNodeIsTakenOverIsWrittenToIt() throws Exception {
        Fleet b = fleet(zookeeper.getConnectString(), "bench-b", 10000, recorder);
        b.start();
        b.client().blockUntilConnected(10, TimeUnit.SECONDS);
        b.client().create().creatingParentContainersIfNeeded().withMode(org.apache.zookeeper.CreateMode.EPHEMERAL)
                .forPath(Fleet.path("bench-a", "dut"), new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:1").toBytes());
        assertEquals("+bench-a/dut tcp  tcp://192.0.2.1:1", next());
        changedBeforeTheCreateIsAnswered();
    }

    /** Runtime a publishes dut twice while its client's answers wait; b's events end with the second record, none gone. */
    private void changedBeforeTheCreateIsAnswered() throws Exception {
        Fleet a = fleet(zookeeper.getConnectString(), "bench-a", 10000, ignoring());
        a.start();
        for (int i = 0; i < 100 && !a.owner(); i++) {
            Thread.sleep(100);
        }
        assertTrue("runtime a holds its name", a.owner());
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        // answers are processed one at a time on the client's event thread: the create's waits behind this one
        a.client().checkExists().inBackground((client, event) -> {
            held.countDown();
            hold.await(10, TimeUnit.SECONDS);
        }).forPath("/");
        assertTrue(held.await(10, TimeUnit.SECONDS));
        a.publish("dut", new EndpointRecord("tcp", "", "c", "tcp://192.0.2.1:7443"));
        a.publish("dut", new EndpointRecord("tcp", "tcp://192.0.2.9:22", "c", "tcp://192.0.2.1:7443"));
        hold.countDown();
        String wanted = "+bench-a/dut tcp tcp://192.0.2.9:22 tcp://192.0.2.1:7443";
        java.util.List<String> seen = new java.util.ArrayList<>();
        for (int i = 0; i < 3 && !seen.contains(wanted); i++) {
            seen.add(next());
        }
        String later = seenByB.poll(1, TimeUnit.SECONDS); // a node deleted late shows now
        if (later != null) {
            seen.add(later);
        }
        assertTrue("the changed record, the endpoint never gone: " + seen,
                seen.get(seen.size() - 1).equals(wanted) && seen.stream().noneMatch(e -> e.startsWith("-")));
    }

    private String next() throws InterruptedException {
        String s = seenByB.poll(10, TimeUnit.SECONDS);
        return s == null ? "(nothing within 10 s)" : s;
    }

    private static Fleet.Remotes ignoring() {
        return new Fleet.Remotes() {
            @Override
            public void appeared(String runtime, String name, EndpointRecord record) {}

            @Override
            public void gone(String runtime, String name) {}
        };
    }
}
