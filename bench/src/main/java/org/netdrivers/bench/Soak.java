package org.netdrivers.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.netdrivers.bench.SoakNet.EchoServer;
import org.netdrivers.bench.SoakNet.Outcome;
import org.netdrivers.bench.SoakNet.Target;
import org.netdrivers.bench.SoakRuntime.Sample;

/**
 * The soak: the runtime as a process of its own (java -jar the launcher, a fresh home), driven for
 * a given time through three exports (the demo echo endpoint on a TCP port, a TCP driver to the
 * soak's echo server on a TCP port, a Unix driver to the soak's Unix echo server on a Unix socket):
 * counted connect/echo/close cycles, driver bundle updates under 4 looping clients, the abuse set,
 * kill -9 and restart; in between, 4 clients loop. Its resources are measured from outside against
 * a baseline, its log is searched for ERROR lines. Prints a table; exits 1 when a check fails.
 *
 * <pre>
 * bash bench/soak [--quick] [--minutes N] [--home DIR] [--keep]
 * </pre>
 */
public final class Soak {
    // margins of the end measurement over the baseline (see MARGINS_TEXT)
    private static final int FDS_MARGIN = 10;
    private static final int THREADS_MARGIN = 5;
    private static final double HEAP_FACTOR = 1.5;
    private static final long HEAP_MARGIN_KB = 16 * 1024;
    private static final long RSS_MARGIN_KB = 128 * 1024;
    private static final long NATIVE_RSS_MARGIN_KB = 48 * 1024;
    private static final long METASPACE_MARGIN_KB = 8 * 1024;
    private static final String MARGINS_TEXT = String.join("\n",
            "margins: fds <= baseline+" + FDS_MARGIN + ": each leaked socket or jar is one; room for a file FileInstall or a jcmd attach",
            "           holds for a moment.",
            "         threads <= baseline+" + THREADS_MARGIN + ": pool threads not yet retired.",
            "         heap used after a full GC <= " + HEAP_FACTOR + "x baseline + " + (HEAP_MARGIN_KB >> 10) + " MiB: what the runtime's objects hold.",
            "         RSS outside the heap <= baseline + " + (NATIVE_RSS_MARGIN_KB >> 10) + " MiB: native memory (thread stacks, direct buffers,",
            "           malloc, JIT code, metaspace); RSS minus the resident pages of the heap's address range (/proc/PID/smaps).",
            "         RSS <= baseline + " + (RSS_MARGIN_KB >> 10) + " MiB: the whole process; looser, as the heap the JVM keeps committed",
            "           after a GC (its sizing, not the runtime's objects) is resident once load has touched it.",
            "         metaspace used <= baseline + " + (METASPACE_MARGIN_KB >> 10) + " MiB: a driver bundle's class loader that outlives its",
            "           update would add to it at every update.",
            "         The baseline is taken after a warm-up of the same kinds of traffic (and, for the first process, an update of each",
            "         driver bundle and a little abuse), so that classes are loaded and hot code compiled; the end after every client",
            "         has closed, polled (every 3 s) until within margins or the settle bound.");

    private final boolean quick;
    private final long minutes;
    private final Path homeArg;
    private final boolean keep;
    private final Path dist;

    // counts of the goal (full) or scaled down (--quick)
    private final long cycles;
    private final int updates;
    private final int restarts;
    private final int idle;
    private final int garbage;
    private final int resets;
    private final int flood;
    private final long slowSeconds;
    private final long warmCycles;
    private final long restartCycles;
    private final long settleMs;

    private long t0;
    private long deadline;
    private Path home;
    private Path sockets;
    private SoakRuntime runtime;
    private EchoServer echo;
    private List<Target> targets;
    private final List<String> failedChecks = new ArrayList<>();
    private final Map<String, String> phases = new LinkedHashMap<>();
    private final List<String[]> resources = new ArrayList<>();
    private double cycleRate = 1000;
    private double updateSeconds = 3;
    private int gapsLeft;
    private SoakLoad filler = null;
    private long fillerCycles;
    private long fillerFailed;
    private final List<Outcome> fillerFailures = new ArrayList<>();

    private Soak(Path dist, boolean quick, long minutes, Path homeArg, boolean keep) {
        this.dist = dist;
        this.quick = quick;
        this.minutes = minutes;
        this.homeArg = homeArg;
        this.keep = keep;
        this.cycles = quick ? 10_000 : 100_000;
        this.updates = quick ? 10 : 100;
        this.restarts = quick ? 1 : 5;
        this.idle = quick ? 60 : 300;
        this.garbage = quick ? 120 : 600;
        this.resets = quick ? 120 : 600;
        this.flood = quick ? 300 : 1000;
        this.slowSeconds = quick ? 15 : 60;
        this.warmCycles = quick ? 3_000 : 6_000;
        this.restartCycles = quick ? 1_000 : 3_000;
        this.settleMs = quick ? 60_000 : 120_000;
    }

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]).toAbsolutePath();
        boolean quick = false;
        Long minutes = null;
        Path home = null;
        boolean keep = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--minutes" -> minutes = Long.parseLong(args[++i]);
                case "--home" -> home = Path.of(args[++i]).toAbsolutePath();
                case "--keep" -> keep = true;
                case "--help", "-h" -> {
                    System.out.println("usage: bash bench/soak [--quick] [--minutes N] [--home DIR] [--keep]");
                    return;
                }
                default -> {
                    System.err.println("soak: unknown argument " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }
        long m = minutes != null ? minutes : quick ? 2 : 30;
        if (m < 1) {
            System.err.println("soak: --minutes must be at least 1");
            System.exit(2);
        }
        System.exit(new Soak(dist, quick, m, home, keep).run());
    }

    private int run() {
        t0 = System.currentTimeMillis();
        deadline = t0 + minutes * 60_000;
        gapsLeft = 3 + restarts;
        // interrupted (Ctrl-C, SIGTERM): the runtime goes too, and the temporary folders
        Thread hook = new Thread(() -> {
            if (runtime != null) {
                runtime.stop();
            }
            cleanUp();
        }, "soak-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int errorLines = -1;
        try {
            setUp();
            say("soak %s: %d min planned; %d cores, Java %s; runtime home %s, log %s", quick ? "--quick" : "full", minutes,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), home, runtime.log());
            say("exports: %s", String.join(", ", targets.stream().map(t -> t.name() + " " + t.where()).toList()));
            runPhases();
        } catch (Exception | Error e) {
            fail("the soak stopped early: " + e);
            e.printStackTrace(System.out);
        } finally {
            stopFiller();
            if (runtime != null) {
                if (!runtime.alive() && runtime.starts() > 0) {
                    fail("the runtime was not running at the end: " + runtime.exitDescription());
                }
                runtime.stop();
                try {
                    errorLines = countErrors();
                } catch (IOException e) {
                    fail("cannot read the runtime's log: " + e);
                }
            }
            if (echo != null) {
                echo.close();
            }
            report(errorLines);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                cleanUp();
            } catch (IllegalStateException e) {
                // shutting down already: the hook cleans up
            }
        }
        return failedChecks.isEmpty() ? 0 : 1;
    }

    // ------------------------------------------------------------------ set-up

    private void setUp() throws IOException {
        if (homeArg != null) {
            if (Files.isDirectory(homeArg)) {
                try (Stream<Path> s = Files.list(homeArg)) {
                    if (s.findAny().isPresent()) {
                        throw new IOException("--home " + homeArg + " is not empty: the soak needs a fresh home");
                    }
                }
            }
            home = Files.createDirectories(homeArg);
        } else {
            home = Files.createTempDirectory("netdrivers-soak");
        }
        // Unix socket paths stay short (at most 107 bytes): a folder of their own under /tmp
        sockets = Files.createTempDirectory(Path.of("/tmp"), "nd-soak");
        echo = new EchoServer(sockets.resolve("echo.sock"));
        Target demo = new Target("demo", "echo", "echo-bundle.jar", freePort(), null);
        Target tcp = new Target("soak-tcp", "tcp", "tcp-bundle.jar", freePort(), null);
        Target unix = new Target("soak-unix", "unix", "unix-bundle.jar", 0, sockets.resolve("export.sock"));
        targets = List.of(demo, tcp, unix);
        // configurations written before the first start: the launcher adds what HOME lacks
        // (.initialized, the logging configuration) and keeps these; the demo on a free port, not 5555,
        // so that a runtime already running here does not answer for this one
        Path etc = Files.createDirectories(home.resolve("etc"));
        Files.writeString(etc.resolve("org.netdrivers.echo-demo.cfg"),
                "# the demo of the distribution, on a free port\nnetwork.name = demo\nnetwork.export = tcp://127.0.0.1:" + demo.port() + "\n");
        Files.writeString(etc.resolve("org.netdrivers.tcp-soak-tcp.cfg"), "network.name = soak-tcp\nhost = 127.0.0.1\nport = "
                + echo.port() + "\nnetwork.export = tcp://127.0.0.1:" + tcp.port() + "\n");
        Files.writeString(etc.resolve("org.netdrivers.unix-soak-unix.cfg"), "network.name = soak-unix\npath = "
                + sockets.resolve("echo.sock") + "\nnetwork.export = unix:" + unix.path() + "\n");
        Files.createDirectories(home.resolve("soak"));
        runtime = new SoakRuntime(dist, home, home.resolve("soak/runtime.log"));
    }

    private synchronized void cleanUp() {
        try {
            if (sockets != null) {
                deleteTree(sockets);
            }
            if (home != null && homeArg == null && !keep && failedChecks.isEmpty()) {
                deleteTree(home);
            } else if (home != null) {
                System.out.println("soak: home kept" + (failedChecks.isEmpty() ? "" : ", as a check failed") + ": " + home
                        + " (log: " + home.resolve("soak/runtime.log") + ")");
            }
        } catch (IOException e) {
            System.out.println("soak: clean-up: " + e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, SoakNet.LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ phases

    private void runPhases() throws Exception {
        // P1: start, warm-up, baseline
        long t = System.currentTimeMillis();
        runtime.start();
        awaitReady("first start");
        say("runtime up (pid %d) in %.1f s", runtime.pid(), (System.currentTimeMillis() - t) / 1000.0);
        warmUp(true);
        Sample base1 = baseline();
        long pid1 = runtime.pid();
        nmtBaseline();
        say("baseline (pid %d): %s", pid1, describe(base1));

        cyclesPhase();
        fill();
        updatesPhase();
        fill();
        abusePhase();
        fill();
        Sample end1 = settle(base1, "end of pid " + pid1);
        compare("pid " + pid1 + " (cycles, updates, abuse)", base1, end1);
        nmtDiff();

        restartsPhase();
    }

    /** Waits (bounded) until every export answers an echo: the configurations are in force. */
    private void awaitReady(String when) throws Exception {
        long end = System.currentTimeMillis() + 90_000;
        List<String> missing = new ArrayList<>();
        while (true) {
            missing.clear();
            for (Target t : targets) {
                Outcome o = SoakNet.exchange(t);
                if (!o.ok()) {
                    missing.add(t.where() + " (" + o.error() + ")");
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            if (!runtime.alive()) {
                throw new IllegalStateException(when + ": the runtime " + runtime.exitDescription());
            }
            if (System.currentTimeMillis() > end) {
                throw new IllegalStateException(when + ": exports not answering after 90 s: " + missing);
            }
            Thread.sleep(100);
        }
    }

    private void warmUp(boolean withUpdates) throws Exception {
        long t = System.currentTimeMillis();
        SoakLoad load = new SoakLoad(targets);
        load.cycles(warmCycles, 4, 600_000);
        cycleRate = load.done() * 1000.0 / Math.max(1, System.currentTimeMillis() - t);
        if (load.failed() > 0) {
            fail("warm-up: " + load.failed() + " of " + load.done() + " cycles failed, first: " + load.failures().get(0).error());
        }
        String what = load.done() + " cycles";
        if (withUpdates) {
            long u = System.currentTimeMillis();
            for (Target target : targets) {
                Update up = updateBundle(target);
                if (up == null) {
                    throw new IllegalStateException("warm-up: the " + target.kind() + " driver did not come back after an update of " + target.bundle());
                }
            }
            updateSeconds = (System.currentTimeMillis() - u) / 1000.0 / targets.size();
            awaitReady("warm-up updates");
            SoakAbuse a = new SoakAbuse(targets);
            a.garbage(12);
            a.resets(12);
            a.closeIdle(a.openIdle(6));
            a.echoCheck("warm-up abuse", 2);
            if (a.echoCheckFailures > 0) {
                fail("warm-up: echo checks failed: " + a.problems);
            }
            what += ", an update of each driver bundle, 12 garbage, 12 resets";
        }
        say("warm-up: %s (%.0f cycles/s)", what, cycleRate);
    }

    /** The first of two samples 2 s apart with the same descriptors and threads (at most 5 tries). */
    private Sample baseline() throws Exception {
        Sample s = runtime.measure();
        for (int i = 0; i < 5; i++) {
            Thread.sleep(2_000);
            Sample next = runtime.measure();
            if (next.fds() == s.fds() && next.threads() == s.threads()) {
                return s;
            }
            s = next;
        }
        return s;
    }

    private void cyclesPhase() throws Exception {
        checkAlive("cycles");
        long t = System.currentTimeMillis();
        SoakLoad load = new SoakLoad(targets);
        load.cycles(cycles, 4, quick ? 600_000 : 1_800_000);
        double s = (System.currentTimeMillis() - t) / 1000.0;
        cycleRate = load.done() / Math.max(0.001, s);
        phases.put("cycles (connect, 64 B echo checked, close; 4 clients)", String.format(Locale.ROOT,
                "%d of %d done, %d failed (%.0f s, %.0f/s)", load.done(), cycles, load.failed(), s, cycleRate));
        if (load.done() < cycles) {
            fail("cycles: only " + load.done() + " of " + cycles + " done within the phase's bound");
        }
        if (load.failed() > 0) {
            fail("cycles: " + load.failed() + " failed; first: " + firstErrors(load.failures()));
        }
        say("cycles: %s", phases.get("cycles (connect, 64 B echo checked, close; 4 clients)"));
    }

    /** An update of one driver bundle: its jar replaced in deploy/, its driver down and up again. */
    private record Update(Target target, long copied, long down, long up) {
    }

    /**
     * Replaces {@code target}'s bundle jar in deploy/ with a copy of the distribution's (a new
     * modification time: FileInstall updates the bundle), and waits (bounded) for the driver's
     * "down" and "up" lines. Null when they do not come.
     */
    private Update updateBundle(Target target) throws Exception {
        long from = runtime.logSize();
        Path tmp = home.resolve("soak").resolve(target.bundle());
        Files.copy(dist.resolve("deploy").resolve(target.bundle()), tmp, StandardCopyOption.REPLACE_EXISTING);
        long copied = System.currentTimeMillis();
        Files.move(tmp, home.resolve("deploy").resolve(target.bundle()), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        long[] next = new long[1];
        String down = runtime.awaitLine(from, l -> l.contains(target.driverLine("down")), 60_000, next);
        if (down == null) {
            return null;
        }
        String up = runtime.awaitLine(next[0], l -> l.contains(target.driverLine("up")), 60_000, next);
        if (up == null) {
            return null;
        }
        return new Update(target, copied, SoakRuntime.lineMillis(down), SoakRuntime.lineMillis(up));
    }

    private void updatesPhase() throws Exception {
        checkAlive("bundle updates");
        long t = System.currentTimeMillis();
        long cap = t + (quick ? 600_000 : 1_800_000);
        SoakLoad load = new SoakLoad(targets);
        List<Update> done = new ArrayList<>();
        Map<String, Integer> perBundle = new LinkedHashMap<>();
        load.start(4, 0);
        try {
            for (int i = 0; i < updates && System.currentTimeMillis() < cap; i++) {
                Target target = targets.get(i % targets.size());
                Update u = updateBundle(target);
                if (u == null) {
                    fail("bundle update " + (i + 1) + " (" + target.bundle() + "): the " + target.kind()
                            + " driver did not come back within 60 s; the runtime " + runtime.exitDescription());
                    break;
                }
                done.add(u);
                perBundle.merge(target.bundle(), 1, Integer::sum);
                if ((i + 1) % 25 == 0) {
                    say("bundle updates: %d of %d", i + 1, updates);
                }
            }
            Thread.sleep(200); // exchanges begun just after the last driver came back
        } finally {
            load.stop();
        }
        double s = (System.currentTimeMillis() - t) / 1000.0;
        if (!done.isEmpty()) {
            updateSeconds = s / done.size();
        }
        // a failed exchange is one cut in mid-exchange by a driver stop (allowed: the contract closes
        // the streams of the old driver) when it began before its driver's "down" line and ended after
        // its jar was replaced; every other failure, and every failed connect, is a failed new connection
        long cut = 0;
        List<Outcome> unexplained = new ArrayList<>();
        for (Outcome o : load.failures()) {
            boolean overlapped = !o.connectFailed() && done.stream().anyMatch(u -> u.target().equals(o.target())
                    && o.start() <= u.down() + 2 && o.end() >= u.copied());
            if (overlapped) {
                cut++;
            } else {
                unexplained.add(o);
            }
        }
        long unrecorded = load.failed() - load.failures().size(); // beyond the kept failures: counted as failed
        long failedNew = unexplained.size() + unrecorded;
        phases.put("bundle updates (4 clients looping throughout)", String.format(Locale.ROOT,
                "%d of %d done (%s), %.1f s each; %d cycles: %d ok, %d cut in mid-exchange by a driver stop (by contract), "
                        + "%d failed new connections (%.0f s)",
                done.size(), updates, perBundle.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).toList(),
                updateSeconds, load.done(), load.ok(), cut, failedNew, s));
        if (done.size() < updates) {
            fail("bundle updates: " + done.size() + " of " + updates + " done");
        }
        if (failedNew > 0) {
            fail("bundle updates: " + failedNew + " failed new connections; first: " + firstErrors(unexplained));
            for (Outcome o : unexplained.subList(0, Math.min(10, unexplained.size()))) {
                StringBuilder sb = new StringBuilder();
                for (Update u : done) {
                    if (u.target().equals(o.target()) && Math.abs(u.down() - o.start()) < 5_000) {
                        sb.append(String.format(Locale.ROOT, " [jar replaced %+d ms, down %+d ms, up %+d ms]",
                                u.copied() - o.start(), u.down() - o.start(), u.up() - o.start()));
                    }
                }
                say("  failed new connection on %s, %d ms long: %s; nearby updates, from its start:%s", o.target().where(),
                        o.end() - o.start(), o.error(), sb.length() == 0 ? " none within 5 s" : sb);
            }
        }
        say("bundle updates: %s", phases.get("bundle updates (4 clients looping throughout)"));
    }

    private void abusePhase() throws Exception {
        checkAlive("abuse");
        long t = System.currentTimeMillis();
        SoakAbuse a = new SoakAbuse(targets);
        long soakLimit = SoakRuntime.openFilesLimit("/proc/self/limits");
        long runtimeLimit = runtime.openFilesLimit();
        long limit = Math.min(soakLimit < 0 ? 1024 : soakLimit, runtimeLimit < 0 ? 1024 : runtimeLimit);
        // each held connection costs the soak 2 descriptors (client, echo server) and the runtime 2
        int floodN = (int) Math.max(10, Math.min(flood, (limit - 300 - 2L * idle) / 2));
        if (floodN < flood) {
            say("abuse: the flood is %d connections, not %d: open files limit %d", floodN, flood, limit);
        }
        List<SoakNet.Client> held = a.openIdle(idle);
        say("abuse: %d connections held idle; slow readers (1 byte/s for %d s) on %s", held.size(), slowSeconds,
                targets.stream().filter(x -> !x.unix()).map(Target::where).toList());
        for (Target target : targets) {
            if (!target.unix()) {
                a.slowReaders.add(new SoakAbuse.SlowReader(target, slowSeconds));
            }
        }
        a.garbage(garbage);
        a.echoCheck("garbage", 5);
        a.resets(resets);
        a.echoCheck("resets", 5);
        a.flood(floodN);
        a.echoCheck("the flood", 5);
        // the slow readers read on: other clients meanwhile (bounded by the readers' time)
        long readersEnd = t + slowSeconds * 1000;
        while (System.currentTimeMillis() < readersEnd) {
            a.echoCheck("the other abuse, slow readers on", 1);
            Thread.sleep(500);
        }
        StringBuilder slow = new StringBuilder();
        for (SoakAbuse.SlowReader r : a.slowReaders) {
            long writtenBefore = r.written.get();
            r.finish();
            slow.append(String.format(Locale.ROOT, "%s%s: %d B read at 1 B/s (%d differ), writer held back after %.1f MiB",
                    slow.length() == 0 ? "" : "; ", r.target.name(), r.read, r.mismatches, writtenBefore / 1048576.0));
            if (!r.ok()) {
                fail("abuse: the slow reader on " + r.target.where() + ": " + (r.error != null ? r.error + "; " : "") + r.read
                        + " of " + r.seconds + " bytes read, " + r.mismatches + " differ, " + r.written.get() + " bytes written"
                        + (r.written.get() >= SoakAbuse.SLOW_WRITE_CAP ? " (nothing held the writer back)" : ""));
            }
        }
        a.closeIdle(held);
        a.echoCheck("everything closed", 10);
        double s = (System.currentTimeMillis() - t) / 1000.0;
        phases.put("abuse", String.format(Locale.ROOT,
                "garbage %d connections (%.1f MiB; echo differs %d), resets %d, idle held %d (%d still echo after %.0f s), "
                        + "flood %d connects (%d held at once, %d failed); slow readers: %s; echo checks %d (%d failed) (%.0f s)",
                a.garbageConnections, a.garbageBytes / 1048576.0, a.garbageEchoMismatches, a.resets, a.idleHeld, a.idleStillEcho,
                s, a.floodConnects, a.floodHeldMax, a.floodConnectFailures, slow, a.echoChecks, a.echoCheckFailures, s));
        say("abuse: %s", phases.get("abuse"));
        if (!a.problems.isEmpty()) {
            fail("abuse: " + a.problems.size() + (a.problems.size() >= 50 ? "+" : "") + " problems; first: "
                    + String.join(" | ", a.problems.subList(0, Math.min(5, a.problems.size()))));
        }
        if (a.idleStillEcho < a.idleHeld || a.idleHeld < idle) {
            fail("abuse: " + a.idleStillEcho + " of " + idle + " idle connections echo after idling");
        }
    }

    private void restartsPhase() throws Exception {
        int backs = 0;
        long cyclesAfter = 0;
        long failedAfter = 0;
        List<Outcome> failures = new ArrayList<>();
        List<String> downs = new ArrayList<>();
        Sample baseN = null;
        long pidN = -1;
        for (int r = 1; r <= restarts; r++) {
            checkAlive("kill -9 " + r);
            long pid = runtime.pid();
            runtime.kill9();
            long t = System.currentTimeMillis();
            runtime.start();
            try {
                awaitReady("restart " + r + " after kill -9 of pid " + pid);
            } catch (IllegalStateException e) {
                fail("kill -9/restart " + r + ": configurations not back: " + e.getMessage());
                break;
            }
            backs++;
            downs.add(String.format(Locale.ROOT, "%.1f", (System.currentTimeMillis() - t) / 1000.0));
            if (r == restarts) {
                warmUp(false);
                baseN = baseline();
                pidN = runtime.pid();
                nmtBaseline();
                say("kill -9/restart %d: pid %d -> %d, every export answers; baseline of the restarted runtime: %s", r, pid,
                        pidN, describe(baseN));
            } else {
                say("kill -9/restart %d: pid %d -> %d, every export answers", r, pid, runtime.pid());
            }
            SoakLoad load = new SoakLoad(targets);
            load.cycles(restartCycles, 4, 600_000);
            cyclesAfter += load.done();
            failedAfter += load.failed();
            failures.addAll(load.failures());
            fill();
        }
        phases.put("kill -9 / restart", String.format(Locale.ROOT,
                "%d of %d restarts, configurations back every time (every export answered; up in %s s); %d cycles after them, %d failed",
                backs, restarts, String.join(", ", downs), cyclesAfter, failedAfter));
        if (backs < restarts) {
            fail("kill -9/restart: " + backs + " of " + restarts + " came back");
        }
        if (failedAfter > 0) {
            fail("kill -9/restart: " + failedAfter + " cycles failed after restarts; first: " + firstErrors(failures));
        }
        if (baseN != null) {
            Sample endN = settle(baseN, "end of pid " + pidN);
            compare("pid " + pidN + " (after the last kill -9: cycles, looping clients)", baseN, endN);
            nmtDiff();
        }
    }

    private static boolean nmt() {
        String opts = System.getenv("SOAK_RUNTIME_JAVA_OPTS");
        return opts != null && opts.contains("NativeMemoryTracking");
    }

    /** With SOAK_RUNTIME_JAVA_OPTS=-XX:NativeMemoryTracking=summary: the native memory baseline. */
    private void nmtBaseline() throws Exception {
        if (nmt()) {
            runtime.jcmd("VM.native_memory baseline");
        }
    }

    /** ... and what changed since, per category (diagnosis only). */
    private void nmtDiff() throws Exception {
        if (nmt()) {
            say("native memory since the baseline (committed, changed categories):");
            for (String line : runtime.jcmd("VM.native_memory summary.diff").split("\n")) {
                if (line.contains("committed=") && line.matches(".*committed=\\d+KB [+-].*") && !line.trim().startsWith("(")) {
                    System.out.println("    " + line.trim());
                }
            }
        }
    }

    // ------------------------------------------------------------------ filling the time

    /** Planned time of what is left after the current gap, from the rates seen so far. */
    private long reserveMs(int gapsAfter) {
        // gaps: after cycles, after updates, after abuse, one after each restart
        double s = 0;
        double rate = Math.max(100, cycleRate);
        if (gapsAfter >= restarts + 2) {
            s += updates * updateSeconds;
        }
        if (gapsAfter >= restarts + 1) {
            s += slowSeconds + 10; // the abuse
        }
        if (gapsAfter >= restarts) {
            s += 10; // the settle of the first runtime
        }
        s += Math.min(gapsAfter, restarts) * (5 + restartCycles / rate);
        if (gapsAfter > 0) {
            s += 15 + warmCycles / rate; // the restarted runtime's warm-up and baseline
        }
        s += 10; // the last settle
        return (long) (s * 1000);
    }

    /** Loops 4 clients for this gap's share of the time left, then checks that none failed. */
    private void fill() throws Exception {
        gapsLeft--;
        long ms = Math.max(0, (deadline - System.currentTimeMillis() - reserveMs(gapsLeft)) / (gapsLeft + 1));
        if (ms < 1000) {
            return;
        }
        checkAlive("looping clients");
        SoakLoad load = new SoakLoad(targets);
        filler = load;
        load.start(4, 1);
        long end = System.currentTimeMillis() + ms;
        long nextSample = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < end && runtime.alive()) {
            Thread.sleep(Math.min(1000, Math.max(1, end - System.currentTimeMillis())));
            if (System.currentTimeMillis() >= nextSample && end - System.currentTimeMillis() > 5_000) {
                nextSample += 60_000;
                say("looping clients: %d cycles, %d failed; runtime: %s", load.done(), load.failed(), describe(runtime.measure()));
            }
        }
        stopFiller();
        say("looping clients: %.0f s, %d cycles, %d failed", ms / 1000.0, load.done(), load.failed());
    }

    private void stopFiller() {
        SoakLoad load = filler;
        if (load == null) {
            return;
        }
        filler = null;
        try {
            load.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fillerCycles += load.done();
        fillerFailed += load.failed();
        if (fillerFailures.size() < 10) {
            fillerFailures.addAll(load.failures().subList(0, Math.min(10, load.failures().size())));
        }
    }

    // ------------------------------------------------------------------ measurements and checks

    private boolean within(Sample b, Sample e) {
        return e.fds() <= b.fds() + FDS_MARGIN && e.threads() <= b.threads() + THREADS_MARGIN
                && e.heapKb() <= b.heapKb() * HEAP_FACTOR + HEAP_MARGIN_KB && e.rssKb() <= b.rssKb() + RSS_MARGIN_KB
                && (b.nativeRssKb() < 0 || e.nativeRssKb() <= b.nativeRssKb() + NATIVE_RSS_MARGIN_KB)
                && (b.metaspaceKb() < 0 || e.metaspaceKb() <= b.metaspaceKb() + METASPACE_MARGIN_KB);
    }

    /** Every client closed: polls (every 3 s, at most settleMs) until within margins and the far ends are closed. */
    private Sample settle(Sample base, String what) throws Exception {
        checkAlive(what);
        long t = System.currentTimeMillis();
        Sample s;
        while (true) {
            s = runtime.measure();
            if ((within(base, s) && echo.openConnections() == 0) || System.currentTimeMillis() - t > settleMs) {
                break;
            }
            Thread.sleep(3_000);
        }
        say("%s after %.0f s of settling: %s; driver connections open at the echo server: %d", what,
                (System.currentTimeMillis() - t) / 1000.0, describe(s), echo.openConnections());
        if (echo.openConnections() != 0) {
            fail(what + ": " + echo.openConnections() + " connections of the runtime's drivers to the soak's echo server still open");
            explainOpenConnections(what);
        }
        return s;
    }

    /**
     * What the soak can see of driver connections that stayed open: the echo server's view of
     * each, the kernel's view of the TCP ones (ss, where installed), and the runtime's threads
     * (jcmd Thread.print, into the soak folder of its home).
     */
    private void explainOpenConnections(String what) {
        echo.describeOpen().forEach(line -> say("  still open at the echo server: %s", line));
        try {
            // both ends of every TCP connection to the echo server but those closed already (TIME-WAIT)
            Process ss = new ProcessBuilder("ss", "-Htnop", "exclude", "time-wait", "exclude", "listening",
                    "( sport = :" + echo.port() + " or dport = :" + echo.port() + " )").redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (ss.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                out.lines().map(String::strip).filter(line -> !line.isEmpty()).forEach(line -> say("  ss: %s", line));
            }
        } catch (IOException e) {
            say("  (no ss here for the kernel's view of those connections: %s)", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Path dump = home.resolve("soak").resolve("threads-" + what.replaceAll("[^A-Za-z0-9]+", "-") + ".txt");
            Files.writeString(dump, runtime.jcmd("Thread.print"));
            say("  the runtime's threads: %s", dump);
        } catch (IOException e) {
            say("  (no thread dump of the runtime: %s)", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void compare(String process, Sample b, Sample e) {
        String[][] rows = {
            {"fds", Integer.toString(b.fds()), Integer.toString(e.fds()), "<= " + (b.fds() + FDS_MARGIN),
                e.fds() <= b.fds() + FDS_MARGIN ? "ok" : "FAIL"},
            {"threads", Integer.toString(b.threads()), Integer.toString(e.threads()), "<= " + (b.threads() + THREADS_MARGIN),
                e.threads() <= b.threads() + THREADS_MARGIN ? "ok" : "FAIL"},
            {"heap MiB", mib(b.heapKb()), mib(e.heapKb()), "<= " + mib((long) (b.heapKb() * HEAP_FACTOR + HEAP_MARGIN_KB)),
                e.heapKb() <= b.heapKb() * HEAP_FACTOR + HEAP_MARGIN_KB ? "ok" : "FAIL"},
            {"heap committed", mib(b.heapCommittedKb()), mib(e.heapCommittedKb()), "", "(info)"},
            {"RSS MiB", mib(b.rssKb()), mib(e.rssKb()), "<= " + mib(b.rssKb() + RSS_MARGIN_KB),
                e.rssKb() <= b.rssKb() + RSS_MARGIN_KB ? "ok" : "FAIL"},
            {"RSS outside heap", mib(b.nativeRssKb()), mib(e.nativeRssKb()), "<= " + mib(b.nativeRssKb() + NATIVE_RSS_MARGIN_KB),
                b.nativeRssKb() < 0 || e.nativeRssKb() <= b.nativeRssKb() + NATIVE_RSS_MARGIN_KB ? "ok" : "FAIL"},
            {"metaspace MiB", mib(b.metaspaceKb()), mib(e.metaspaceKb()), "<= " + mib(b.metaspaceKb() + METASPACE_MARGIN_KB),
                b.metaspaceKb() < 0 || e.metaspaceKb() <= b.metaspaceKb() + METASPACE_MARGIN_KB ? "ok" : "FAIL"},
        };
        resources.add(new String[] {process});
        for (String[] row : rows) {
            resources.add(row);
            if (row[4].equals("FAIL")) {
                fail(process + ": " + row[0] + " " + row[2] + " over " + row[3] + " (baseline " + row[1] + ")");
            }
        }
    }

    private int countErrors() throws IOException {
        List<String> lines = runtime.allLines();
        List<String> errors = lines.stream().filter(l -> l.contains(" ERROR ")).toList();
        long warns = lines.stream().filter(l -> l.contains(" WARN ")).count();
        long traces = lines.stream().filter(l -> l.startsWith("\tat ")).count();
        phases.put("runtime log", String.format(Locale.ROOT, "%d lines, %d ERROR, %d WARN, %d stack trace lines, %d starts",
                lines.size(), errors.size(), warns, traces, runtime.starts()));
        if (!errors.isEmpty()) {
            fail(errors.size() + " ERROR lines in the runtime's log");
            System.out.println("ERROR lines (the first 20):");
            errors.stream().limit(20).forEach(l -> System.out.println("  " + l));
        }
        List<String> warnLines = lines.stream().filter(l -> l.contains(" WARN ")).toList();
        if (!warnLines.isEmpty()) {
            System.out.println("WARN lines (the first 10):");
            warnLines.stream().limit(10).forEach(l -> System.out.println("  " + (l.length() > 300 ? l.substring(0, 300) + " ..." : l)));
        }
        return errors.size();
    }

    private void checkAlive(String phase) {
        if (!runtime.alive()) {
            throw new IllegalStateException("before " + phase + ": the runtime " + runtime.exitDescription());
        }
    }

    private void fail(String check) {
        failedChecks.add(check);
        say("CHECK FAILED: %s", check);
    }

    // ------------------------------------------------------------------ output

    private void report(int errorLines) {
        phases.put("looping clients between phases", fillerCycles + " cycles, " + fillerFailed + " failed"
                + (fillerFailures.isEmpty() ? "" : "; first: " + firstErrors(fillerFailures)));
        if (fillerFailed > 0) {
            fail("looping clients between phases: " + fillerFailed + " cycles failed");
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "netdrivers soak (%s, %d min planned, %.1f min taken; %d cores, Java %s)%n",
                quick ? "--quick" : "full", minutes, (System.currentTimeMillis() - t0) / 60_000.0,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (Map.Entry<String, String> e : phases.entrySet()) {
            System.out.printf("  %-54s %s%n", e.getKey(), e.getValue());
        }
        System.out.printf("  %-54s %s%n", "ERROR lines in the runtime's log (all starts)", errorLines < 0 ? "not counted" : errorLines);
        System.out.println();
        System.out.println("resources of the runtime process, measured from outside: /proc/PID/fd, /proc/PID/status Threads and VmRSS,");
        System.out.println("after jcmd PID GC.run" + (runtime != null && runtime.trimsNativeHeap() ? " and System.trim_native_heap" : "")
                + ", and heap and metaspace from jcmd PID GC.heap_info. A kill -9 restart is a");
        System.out.println("new process: its end is compared with its own baseline, taken after its warm-up.");
        System.out.printf("  %-16s %10s %10s %12s  %s%n", "", "baseline", "end", "margin", "");
        for (String[] row : resources) {
            if (row.length == 1) {
                System.out.println("  " + row[0]);
            } else {
                System.out.printf("  %-16s %10s %10s %12s  %s%n", (Object[]) row);
            }
        }
        System.out.println(MARGINS_TEXT);
        System.out.println();
        if (failedChecks.isEmpty()) {
            System.out.println("soak: PASSED: every check");
        } else {
            System.out.println("soak: FAILED: " + failedChecks.size() + " checks:");
            for (String f : failedChecks) {
                System.out.println("  - " + f);
            }
        }
    }

    private static String describe(Sample s) {
        return String.format(Locale.ROOT, "fds %d, threads %d, heap %s MiB (committed %s), RSS %s MiB (outside the heap %s), metaspace %s MiB",
                s.fds(), s.threads(), mib(s.heapKb()), mib(s.heapCommittedKb()), mib(s.rssKb()), mib(s.nativeRssKb()), mib(s.metaspaceKb()));
    }

    private static String mib(long kb) {
        return kb < 0 ? "-" : String.format(Locale.ROOT, "%.1f", kb / 1024.0);
    }

    private static String firstErrors(List<Outcome> failures) {
        return String.join(" | ", failures.stream().limit(3).map(o -> o.target().where() + ": " + o.error()).toList());
    }

    private void say(String format, Object... args) {
        long s = (System.currentTimeMillis() - t0) / 1000;
        System.out.printf(Locale.ROOT, "[%02d:%02d] %s%n", s / 60, s % 60, String.format(Locale.ROOT, format, args));
    }
}
