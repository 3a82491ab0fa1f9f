package org.netdrivers.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.fleet.internal.BenchFleet;

/**
 * The fleet at lab scale, in one JVM on loopback: one ZooKeeper (curator-test's in-process
 * server, bound to 127.0.0.1) and R simulated runtimes, each the fleet bundle's real {@code Fleet}
 * (its own Curator client and session, its own {@code CuratorCache} on the fleet's root) publishing
 * E endpoints. Measures the time until every runtime has seen every other runtime's endpoints, the
 * time a change and an unpublish take to reach all, ZooKeeper's node, watch and connection counts
 * ({@code mntr}, {@code wchs}), the heap after GC per runtime, and how long a crashed runtime's
 * endpoints stay visible against the session timeout. Then ({@link FleetData}) the bytes per second
 * one fleet connection carries against a plain TCP export of the same driver.
 */
public final class FleetScale {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String WATCHED_4LW = "mntr,wchs,srvr,cons";

    private FleetScale() {}

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]).toAbsolutePath();
        List<String> a = Arrays.asList(args).subList(1, args.length);
        boolean quick = a.contains("--quick");
        int runtimes = intOption(a, "--runtimes", quick ? 20 : 200);
        int endpoints = intOption(a, "--endpoints", 50);
        int sessionMs = intOption(a, "--session-timeout-ms", quick ? 4000 : 30000);
        int changes = intOption(a, "--changes", quick ? 5 : 10);
        int deadlineS = intOption(a, "--deadline-s", quick ? 120 : 900);
        boolean scale = !a.contains("--data-only");
        boolean data = !a.contains("--no-data");
        if (runtimes < 3 || endpoints < 1 || endpoints > 1000) {
            System.err.println("fleet-scale: --runtimes must be 3 or more and --endpoints 1 to 1000");
            System.exit(2);
        }

        // the four-letter words this bench reads, and no admin server (Jetty 9 in ZooKeeper's; the bench has Jetty 12)
        System.setProperty("zookeeper.4lw.commands.whitelist", WATCHED_4LW);
        System.setProperty("zookeeper.admin.enableServer", "false");
        int maxCnxns = runtimes + 16;
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 2000, maxCnxns,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        boolean ok = true;
        try (TestingServer zk = new TestingServer(spec, true)) {
            System.out.printf(Locale.ROOT, "fleet-scale: %d cores, Java %s, max heap %d MiB, system load average %.2f; ZooKeeper %s on 127.0.0.1:%d (curator-test"
                            + " TestingServer, in this JVM; clientPortAddress=127.0.0.1, tickTime 2000 ms, maxClientCnxns %d: the"
                            + " default of 60 per IP refuses the 61st runtime on loopback; 4lw.commands.whitelist %s)%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                    Runtime.getRuntime().maxMemory() >> 20, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                    org.apache.zookeeper.Version.getFullVersion().split("[ -]")[0],
                    zk.getPort(), maxCnxns, WATCHED_4LW);
            // the data path first: its transfers then share the machine with nothing else of this run
            if (data) {
                try {
                    FleetData.run(dist, zk.getConnectString(), quick);
                } catch (Exception e) {
                    System.out.println("data path: not measured: " + e);
                    ok = false;
                }
            }
            if (scale) {
                ok &= new FleetScale.Run(zk, runtimes, endpoints, sessionMs, changes, deadlineS).run();
            }
        }
        System.exit(ok ? 0 : 1);
    }

    private static int intOption(List<String> args, String name, int otherwise) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? Integer.parseInt(args.get(i + 1)) : otherwise;
    }

    /** One run of the scale part. */
    private static final class Run {
        private final TestingServer zk;
        private final int r;
        private final int e;
        private final int sessionMs;
        private final int changes;
        private final long deadlineNs;
        private final int target; // remote endpoints each runtime must see
        private final Map<String, Integer> runtimeIndex = new HashMap<>();
        private final Map<String, Integer> endpointIndex = new HashMap<>();
        private final String[] runtimeNames;
        private final String[] endpointNames;
        private final Watcher[] watchers;
        private final BenchFleet[] fleets;
        /** The change awaited at every runtime, or null. */
        private volatile Probe probe;

        Run(TestingServer zk, int r, int e, int sessionMs, int changes, int deadlineS) {
            this.zk = zk;
            this.r = r;
            this.e = e;
            this.sessionMs = sessionMs;
            this.changes = changes;
            this.deadlineNs = TimeUnit.SECONDS.toNanos(deadlineS);
            target = (r - 1) * e;
            runtimeNames = new String[r];
            endpointNames = new String[e];
            for (int i = 0; i < r; i++) {
                runtimeNames[i] = String.format(Locale.ROOT, "lab-%03d", i);
                runtimeIndex.put(runtimeNames[i], i);
            }
            for (int j = 0; j < e; j++) {
                endpointNames[j] = String.format(Locale.ROOT, "dut-%02d-console", j);
                endpointIndex.put(endpointNames[j], j);
            }
            watchers = new Watcher[r];
            fleets = new BenchFleet[r];
        }

        /** What runtime {@code i} publishes for its endpoint {@code j}: a TCP driver's record, {@code port} its device port. */
        private void publish(int i, int j, int port) {
            String address = "tcp://10." + (1 + i / 250) + "." + (i % 250) + "." + (j % 250 + 1) + ":" + port;
            fleets[i].publish(endpointNames[j], NetworkConstants.TYPE_TCP, address, NetworkConstants.CLIENT_NETWORK, fleetAddress(i));
        }

        private static String fleetAddress(int i) {
            return "tcp://10.0." + (i / 250) + "." + (i % 250 + 1) + ":7443";
        }

        boolean run() throws Exception {
            boolean ok = true;
            String connect = zk.getConnectString();
            int victim = r - 1;
            byte[] sample = BenchFleet.recordBytes(NetworkConstants.TYPE_TCP, "tcp://10.1.123.45:5000", NetworkConstants.CLIENT_NETWORK,
                    fleetAddress(123));
            System.out.printf(Locale.ROOT, "%d runtimes x %d endpoints = %d znodes of about %d bytes (an endpoint record), session timeout"
                    + " %d ms; each runtime a real Fleet (own Curator client and session, own CuratorCache on %s)%n",
                    r, e, r * e, sample.length, sessionMs, BenchFleet.root());

            long ephemerals0 = longOf(mntr(), "zk_ephemerals_count");
            long znodes0 = longOf(mntr(), "zk_znode_count");
            long h0 = heapAfterGc();
            long tree = treeHeap(connect, sample) - h0;
            System.out.printf(Locale.ROOT, "before any runtime: %d znodes (%d ephemeral); heap after GC %.1f MiB; the %d nodes alone (one"
                    + " client, then deleted) add %.1f MiB to ZooKeeper's heap%n", znodes0, ephemerals0, mib(h0), r * e, mib(tree));

            LoopbackProxy proxy = new LoopbackProxy(zk.getPort());
            long cpu0 = processCpuNs();
            Map<Long, Long> threadCpu0 = threadCpu();
            long t0 = System.nanoTime();
            for (int i = 0; i < r; i++) {
                watchers[i] = new Watcher(i, target);
                String via = i == victim ? "127.0.0.1:" + proxy.port() : connect;
                fleets[i] = new BenchFleet(via, runtimeNames[i], sessionMs, watchers[i]);
                fleets[i].start();
                for (int j = 0; j < e; j++) {
                    publish(i, j, 5000);
                }
            }
            long started = System.nanoTime() - t0;
            long connectedAt = -1;
            long allNodesAt = -1;
            while (System.nanoTime() - t0 < deadlineNs) {
                long now = System.nanoTime();
                if (connectedAt < 0 && Arrays.stream(fleets).allMatch(BenchFleet::connected)) {
                    connectedAt = now - t0;
                }
                // each runtime's R x E endpoint nodes and its runtime name's latch node (one per runtime, created first)
                if (allNodesAt < 0 && longOf(mntr(), "zk_ephemerals_count") >= ephemerals0 + (long) r * (e + 1)) {
                    allNodesAt = System.nanoTime() - t0;
                }
                if (allNodesAt >= 0 && connectedAt >= 0 && Arrays.stream(watchers).allMatch(w -> w.completeAt != 0)) {
                    break;
                }
                Thread.sleep(20);
            }
            long syncCpu = processCpuNs() - cpu0;
            long[] groups = cpuByGroup(threadCpu0);
            long[] done = Arrays.stream(watchers).mapToLong(w -> w.completeAt == 0 ? Long.MAX_VALUE : w.completeAt - t0).sorted().toArray();
            int complete = (int) Arrays.stream(done).filter(d -> d != Long.MAX_VALUE).count();
            System.out.println();
            System.out.println("initial sync: every runtime started at once, each publishing its endpoints");
            row("runtimes started (R constructors, start(), R x E publish calls)", ms(started));
            row("all " + r + " sessions connected", connectedAt < 0 ? "not within the deadline" : ms(connectedAt));
            row("all " + r * (e + 1) + " ephemeral nodes on the server (" + r * e + " endpoints, " + r + " name latches; mntr, 20 ms polls)", allNodesAt < 0 ? "not within the deadline" : ms(allNodesAt));
            row("first runtime to see all " + target + " remote endpoints", complete > 0 ? ms(done[0]) : "none");
            row("median runtime", complete > r / 2 ? ms(done[r / 2]) : "not reached");
            row("last runtime (every watcher has all)", complete == r ? ms(done[r - 1]) : complete + " of " + r + " within the deadline");
            row("process CPU time for all of it (server and clients)", String.format(Locale.ROOT, "%.1f s; system load average now %.2f",
                    syncCpu / 1e9, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
            row("  of it ZooKeeper's server threads / the runtimes' client threads / the rest (GC, JIT)", String.format(Locale.ROOT,
                    "%.1f s / %.1f s / %.1f s", groups[0] / 1e9, groups[1] / 1e9, (syncCpu - groups[0] - groups[1]) / 1e9));
            row("  server CPU per notification delivered (R x R x E of them, each with its reads)", String.format(Locale.ROOT, "%.1f us",
                    groups[0] / 1e3 / ((double) r * r * e)));
            row("bytes ZooKeeper sent to one runtime (" + runtimeNames[victim] + ", through a counting proxy)",
                    String.format(Locale.ROOT, "%.2f MiB (%.0f B per endpoint in the fleet); it sent ZooKeeper %.2f MiB",
                            mib(proxy.fromServer.get()), proxy.fromServer.get() / (double) (r * e), mib(proxy.toServer.get())));
            if (complete < r) {
                ok = false;
                int least = Arrays.stream(watchers).mapToInt(w -> w.count).min().orElse(0);
                System.out.printf(Locale.ROOT, "FAILED: %d of %d runtimes saw all %d remote endpoints within %d s (the least saw %d)%n",
                        complete, r, target, TimeUnit.NANOSECONDS.toSeconds(deadlineNs), least);
            }

            System.out.println();
            System.out.println("ZooKeeper and the JVM with every cache full");
            Map<String, String> m = mntr();
            for (String key : List.of("zk_znode_count", "zk_ephemerals_count", "zk_watch_count", "zk_num_alive_connections",
                    "zk_approximate_data_size", "zk_packets_received", "zk_packets_sent", "zk_avg_latency", "zk_max_latency",
                    "zk_outstanding_requests")) {
                row("mntr " + key, m.getOrDefault(key, "(not reported)"));
            }
            String wchs = fourLetters("wchs").trim().replace("\n", "; ");
            row("wchs", wchs);
            long h1 = heapAfterGc();
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            row("heap after GC, all caches full", String.format(Locale.ROOT, "%.1f MiB (%.1f MiB over the start)", mib(h1), mib(h1 - h0)));
            row("per runtime: (heap - start - the nodes' share) / R", String.format(Locale.ROOT, "%.2f MiB = %.0f B per cached node",
                    mib((h1 - h0 - tree) / r), (h1 - h0 - tree) / (double) r / (r * e)));
            row("threads in the JVM", threads + String.format(Locale.ROOT, " (%.1f per runtime)", threads / (double) r));

            System.out.println();
            System.out.println("propagation: one runtime changes or unpublishes one endpoint; time until all " + (r - 1) + " others saw it");
            List<long[]> changed = new ArrayList<>();
            for (int k = 0; k < changes && ok; k++) {
                int owner = (k * 7 + 1) % (r - 1);
                int j = k % e;
                int port = 6000 + k;
                String newAddress = "tcp://10." + (1 + owner / 250) + "." + (owner % 250) + "." + (j % 250 + 1) + ":" + port;
                long[] d = propagate(owner, j, newAddress, () -> publish(owner, j, port));
                if (d == null) {
                    ok = false;
                } else {
                    changed.add(d);
                }
                Thread.sleep(100);
            }
            report("change of a record (publish again, new address)", changed);
            List<long[]> removed = new ArrayList<>();
            int unpublishes = Math.min(3, changes);
            for (int k = 0; k < unpublishes && ok; k++) {
                int owner = (k * 11 + 2) % (r - 1);
                int j = e - 1 - k % e;
                long[] d = propagate(owner, j, null, () -> fleets[owner].unpublish(endpointNames[j]));
                if (d == null) {
                    ok = false;
                } else {
                    removed.add(d);
                }
                Thread.sleep(100);
            }
            report("unpublish", removed);

            System.out.println();
            int again = 0;
            System.out.printf(Locale.ROOT, "restart: runtime %s closes (its nodes deleted, its session ended), then a new Fleet of the same"
                    + " name joins the full fleet%n", runtimeNames[again]);
            long[] left = ok ? awaitProbe(new Probe(Kind.ALL_GONE, again, -1, null), fleets[again]::close, 60) : null;
            if (left == null) {
                ok = false;
            } else {
                row("close(): until every other runtime saw its " + e + " endpoints gone, first / median / last", ms(left[0]) + " / "
                        + ms(left[left.length / 2]) + " / " + ms(left[left.length - 1]));
            }
            LoopbackProxy joinProxy = new LoopbackProxy(zk.getPort());
            Watcher joiner = new Watcher(again, target - removed.size()); // the unpublished endpoints are gone
            watchers[again] = joiner;
            fleets[again] = new BenchFleet("127.0.0.1:" + joinProxy.port(), runtimeNames[again], sessionMs, joiner);
            long tj = System.nanoTime();
            long[] back = !ok ? null : awaitProbe(new Probe(Kind.ALL_BACK, again, -1, null), () -> {
                fleets[again].start();
                for (int j = 0; j < e; j++) {
                    publish(again, j, 5000);
                }
            }, 120);
            if (back == null) {
                ok = false;
            } else {
                row("until every other runtime saw its " + e + " endpoints back, first / median / last", ms(back[0]) + " / "
                        + ms(back[back.length / 2]) + " / " + ms(back[back.length - 1]));
                long loadDeadline = tj + TimeUnit.SECONDS.toNanos(120);
                while (joiner.completeAt == 0 && System.nanoTime() < loadDeadline) {
                    Thread.sleep(5);
                }
                row("until it saw all " + (target - removed.size()) + " remote endpoints (its cache's initial load)",
                        joiner.completeAt == 0 ? "not within 120 s" : ms(joiner.completeAt - tj));
                if (joiner.completeAt == 0) {
                    ok = false;
                }
                row("bytes ZooKeeper sent it for that (counting proxy)", String.format(Locale.ROOT,
                        "%.2f MiB (%.0f B per endpoint); it sent %.2f MiB", mib(joinProxy.fromServer.get()),
                        joinProxy.fromServer.get() / (double) (r * e), mib(joinProxy.toServer.get())));
            }

            System.out.println();
            System.out.printf(Locale.ROOT, "crash: runtime %s stops answering (its connections to ZooKeeper cut, nothing deleted); session timeout %d ms%n",
                    runtimeNames[victim], sessionMs);
            long ephemeralsBefore = longOf(mntr(), "zk_ephemerals_count");
            Probe p = new Probe(Kind.ALL_GONE, victim, -1, null);
            probe = p;
            long tc = System.nanoTime();
            proxy.kill();
            long expiredAt = -1;
            long crashDeadline = TimeUnit.MILLISECONDS.toNanos(sessionMs) + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() - tc < crashDeadline && (p.remaining.get() > 0 || expiredAt < 0)) {
                if (expiredAt < 0 && longOf(mntr(), "zk_ephemerals_count") <= ephemeralsBefore - (e + 1)) {
                    expiredAt = System.nanoTime() - tc;
                }
                Thread.sleep(50);
            }
            long[] gone = p.delays(tc);
            // the server expires a session a timeout after the session's last packet (a ping comes after a third of the timeout's
            // silence), rounded up to its tick: from the cut, between about 2/3 of the timeout and the timeout plus a tick
            row("ZooKeeper expired the session (its " + e + " endpoint nodes and its latch node deleted; mntr, 50 ms polls)",
                    expiredAt < 0 ? "not within the deadline" : ms(expiredAt) + String.format(Locale.ROOT, " (%.2fx the session timeout)",
                            expiredAt / 1e6 / sessionMs));
            if (gone == null) {
                ok = false;
                row("all others saw its endpoints gone", p.remaining.get() + " runtimes had not within the deadline");
            } else {
                row("first / median / last runtime saw all its endpoints gone", ms(gone[0]) + " / " + ms(gone[gone.length / 2]) + " / "
                        + ms(gone[gone.length - 1]));
            }

            long tClose = System.nanoTime();
            ExecutorService closers = Executors.newFixedThreadPool(8);
            AtomicInteger closedCount = new AtomicInteger();
            for (BenchFleet f : fleets) {
                closers.execute(() -> {
                    f.close();
                    closedCount.incrementAndGet();
                });
            }
            closers.shutdown();
            boolean closed = closers.awaitTermination(300, TimeUnit.SECONDS);
            System.out.println();
            System.out.println("stop: every runtime closes at once (the lab shuts down)");
            row("all " + r + " closed, 8 at a time (each deletes its nodes, ends its session; every delete goes to all watchers)",
                    closed ? ms(System.nanoTime() - tClose) : closedCount.get() + " of " + r + " within 300 s");
            proxy.close();
            joinProxy.close();
            return ok;
        }

        /**
         * Delays (sorted, ns) until every runtime but {@code owner} saw endpoint {@code j} of {@code owner} with
         * {@code address} (null: gone) after {@code action}; null when not all did within 30 s.
         */
        private long[] propagate(int owner, int j, String address, Runnable action) throws InterruptedException {
            return awaitProbe(new Probe(address == null ? Kind.GONE : Kind.CHANGED, owner, j, address), action, 30);
        }

        /** Delays (sorted, ns) until every runtime but the probe's owner saw it after {@code action}; null when not all did in time. */
        private long[] awaitProbe(Probe p, Runnable action, int seconds) throws InterruptedException {
            int owner = p.owner;
            int j = p.endpoint;
            String address = p.address;
            probe = p;
            long t = System.nanoTime();
            action.run();
            long deadline = t + TimeUnit.SECONDS.toNanos(seconds);
            while (p.remaining.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            probe = null;
            long[] d = p.delays(t);
            if (d == null) {
                System.out.printf(Locale.ROOT, "FAILED: %s/%s %s: %d runtimes had not seen it after %d s%n", runtimeNames[owner],
                        j < 0 ? "*" : endpointNames[j], p.kind, p.remaining.get(), seconds);
            }
            return d;
        }

        private void report(String what, List<long[]> runs) {
            if (runs.isEmpty()) {
                return;
            }
            long[] all = runs.stream().mapToLong(d -> d[d.length - 1]).sorted().toArray();
            long[] each = runs.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            row(what + ", " + runs.size() + " times: until all saw it, median / max", ms(all[all.length / 2]) + " / " + ms(all[all.length - 1]));
            row("  one watcher's delay, median / p99 over all " + each.length, ms(each[each.length / 2]) + " / "
                    + ms(each[Math.min(each.length - 1, (int) Math.ceil(each.length * 0.99) - 1)]));
        }

        /** Heap after GC with R x E nodes of {@code data} created by one plain client (then deleted again). */
        private long treeHeap(String connect, byte[] data) throws Exception {
            String root = "/scale-tree-only";
            try (CuratorFramework c = CuratorFrameworkFactory.newClient(connect, 30000, 15000, new RetryOneTime(500))) {
                c.start();
                if (!c.blockUntilConnected(30, TimeUnit.SECONDS)) {
                    throw new IOException("no ZooKeeper connection after 30 s");
                }
                c.create().forPath(root);
                for (String rt : runtimeNames) {
                    c.create().forPath(root + "/" + rt);
                }
                background((path, done) -> c.create().inBackground(done).forPath(path, data), root);
                long h = heapAfterGc();
                background((path, done) -> c.delete().inBackground(done).forPath(path), root);
                for (String rt : runtimeNames) {
                    c.delete().forPath(root + "/" + rt);
                }
                c.delete().forPath(root);
                return h;
            }
        }

        private interface Op {
            void start(String path, org.apache.curator.framework.api.BackgroundCallback done) throws Exception;
        }

        /** Runs {@code op} on every node below {@code root} in the background, at most 1000 outstanding; bounded by 120 s. */
        private void background(Op op, String root) throws Exception {
            Semaphore window = new Semaphore(1000);
            AtomicInteger left = new AtomicInteger(r * e);
            for (String rt : runtimeNames) {
                for (String ep : endpointNames) {
                    if (!window.tryAcquire(120, TimeUnit.SECONDS)) {
                        throw new IOException("ZooKeeper did not answer within 120 s");
                    }
                    op.start(root + "/" + rt + "/" + ep, (client, event) -> {
                        left.decrementAndGet();
                        window.release();
                    });
                }
            }
            await("background operations", () -> left.get() == 0, 120);
        }

        /** A runtime's view: the remote endpoints its Fleet reported, as bits (owner x E + endpoint). */
        private final class Watcher implements BenchFleet.Seen {
            private final int self;
            private final int expected;
            private final BitSet seen = new BitSet(r * e); // this runtime's Curator event thread only
            private final int[] perOwner = new int[r]; // ditto
            volatile int count;
            volatile long completeAt;

            Watcher(int self, int expected) {
                this.self = self;
                this.expected = expected;
            }

            @Override
            public void appeared(String runtime, String name, String address) {
                Integer o = runtimeIndex.get(runtime);
                Integer j = endpointIndex.get(name);
                if (o == null || j == null) {
                    return;
                }
                int bit = o * e + j;
                if (!seen.get(bit)) {
                    seen.set(bit);
                    perOwner[o]++;
                    int n = count + 1; // one writer
                    count = n;
                    if (n == expected && completeAt == 0) {
                        completeAt = System.nanoTime();
                    }
                }
                Probe p = probe;
                if (p != null && p.owner == o && (p.kind == Kind.CHANGED && p.endpoint == j && p.address.equals(address)
                        || p.kind == Kind.ALL_BACK && perOwner[o] == e)) {
                    p.mark(self);
                }
            }

            @Override
            public void gone(String runtime, String name) {
                Integer o = runtimeIndex.get(runtime);
                Integer j = endpointIndex.get(name);
                if (o == null || j == null) {
                    return;
                }
                int bit = o * e + j;
                if (seen.get(bit)) {
                    seen.clear(bit);
                    perOwner[o]--;
                    count = count - 1;
                }
                Probe p = probe;
                if (p != null && p.owner == o && (p.kind == Kind.GONE && p.endpoint == j || p.kind == Kind.ALL_GONE && perOwner[o] == 0)) {
                    p.mark(self);
                }
            }
        }

        /** One change awaited at every runtime but its owner: when each saw it. */
        private final class Probe {
            final Kind kind;
            final int owner;
            final int endpoint; // -1 for ALL_GONE and ALL_BACK
            final String address; // CHANGED: the new address
            final AtomicLongArray at = new AtomicLongArray(r);
            final AtomicInteger remaining = new AtomicInteger(r - 1);

            Probe(Kind kind, int owner, int endpoint, String address) {
                this.kind = kind;
                this.owner = owner;
                this.endpoint = endpoint;
                this.address = address;
            }

            void mark(int watcher) {
                if (watcher != owner && at.compareAndSet(watcher, 0, System.nanoTime())) {
                    remaining.decrementAndGet();
                }
            }

            /** Sorted delays from {@code t}, null unless all saw it. */
            long[] delays(long t) {
                if (remaining.get() > 0) {
                    return null;
                }
                long[] d = new long[r - 1];
                for (int i = 0, n = 0; i < r; i++) {
                    if (i != owner) {
                        d[n++] = at.get(i) - t;
                    }
                }
                Arrays.sort(d);
                return d;
            }
        }

        private Map<String, String> mntr() throws IOException {
            Map<String, String> m = new LinkedHashMap<>();
            for (String line : fourLetters("mntr").split("\n")) {
                int tab = line.indexOf('\t');
                if (tab > 0) {
                    m.put(line.substring(0, tab), line.substring(tab + 1).trim());
                }
            }
            return m;
        }

        private String fourLetters(String word) throws IOException {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(LOOPBACK, zk.getPort()), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }
        }
    }

    /** What a probe awaits: one endpoint's new record, one endpoint gone, all of a runtime's gone, all of them back. */
    private enum Kind { CHANGED, GONE, ALL_GONE, ALL_BACK }

    private static long longOf(Map<String, String> mntr, String key) {
        try {
            return Long.parseLong(mntr.getOrDefault(key, "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void row(String what, String value) {
        System.out.printf(Locale.ROOT, "  %-78s %s%n", what, value);
    }

    private static String ms(long ns) {
        return String.format(Locale.ROOT, "%.0f ms", ns / 1e6);
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    /** Heap in use after full GCs: the least of three. */
    static long heapAfterGc() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300);
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    /** CPU time (ns) of every live Java thread, by id. */
    private static Map<Long, Long> threadCpu() {
        ThreadMXBean t = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : t.getAllThreadIds()) {
            cpu.put(id, t.getThreadCpuTime(id));
        }
        return cpu;
    }

    /** CPU time (ns) since {@code before} of the live Java threads: {ZooKeeper server's, the fleets' clients', the others'}. */
    private static long[] cpuByGroup(Map<Long, Long> before) {
        ThreadMXBean t = ManagementFactory.getThreadMXBean();
        long[] groups = new long[3];
        for (ThreadInfo info : t.getThreadInfo(t.getAllThreadIds())) {
            long cpu = info == null ? -1 : t.getThreadCpuTime(info.getThreadId());
            if (cpu < 0) {
                continue;
            }
            String n = info.getThreadName();
            int g = n.startsWith("NIOWorkerThread") || n.startsWith("NIOServerCxnFactory") || n.startsWith("SyncThread")
                    || n.startsWith("ProcessThread") || n.startsWith("RequestThrottler") || n.startsWith("SessionTracker")
                    || n.startsWith("ConnnectionExpirer") || n.startsWith("ContainerManager") || n.startsWith("CommitProcessor") ? 0
                    : n.contains("-SendThread(") || n.endsWith("-EventThread") || n.startsWith("netdrivers-fleet") ? 1 : 2;
            groups[g] += cpu - before.getOrDefault(info.getThreadId(), 0L);
        }
        return groups;
    }

    private static long processCpuNs() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    static void await(String what, BooleanSupplier done, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IOException(what + ": not done after " + seconds + " s");
            }
            Thread.sleep(20);
        }
    }

    /**
     * A TCP relay on loopback in front of ZooKeeper for one runtime, counting the bytes each way;
     * {@link #kill} cuts every connection and refuses new ones, as a crashed process's kernel would.
     */
    private static final class LoopbackProxy implements AutoCloseable {
        final AtomicLong fromServer = new AtomicLong();
        final AtomicLong toServer = new AtomicLong();
        private final ServerSocket server;
        private final ConcurrentLinkedQueue<Socket> sockets = new ConcurrentLinkedQueue<>();
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fleet-scale-proxy");
            t.setDaemon(true);
            return t;
        });

        LoopbackProxy(int target) throws IOException {
            server = new ServerSocket(0, 50, LOOPBACK);
            threads.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        Socket up = new Socket(LOOPBACK, target);
                        sockets.add(client);
                        sockets.add(up);
                        threads.execute(() -> pump(client, up, toServer));
                        threads.execute(() -> pump(up, client, fromServer));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(Socket from, Socket to, AtomicLong counter) {
            byte[] buf = new byte[64 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    counter.addAndGet(n);
                }
            } catch (IOException e) {
                // cut
            }
            closeQuietly(from);
            closeQuietly(to);
        }

        void kill() {
            closeQuietly(server);
            sockets.forEach(LoopbackProxy::closeQuietly);
        }

        private static void closeQuietly(java.io.Closeable c) {
            try {
                c.close();
            } catch (IOException e) {
                // closing
            }
        }

        @Override
        public void close() {
            kill();
            threads.shutdownNow();
        }
    }
}
