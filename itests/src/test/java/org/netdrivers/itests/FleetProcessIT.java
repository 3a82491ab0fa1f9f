package org.netdrivers.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The fleet between runtimes as users run them: two launcher distributions, bench-a and bench-b,
 * each a process of its own with its own home, configured by files in etc/ (FileInstall), against
 * ZooKeeper (curator-test) in this JVM on loopback. bench-a shares the TCP endpoint {@code dut}
 * (an echo server of this test) with {@code network.fleet = true}; bench-b forwards
 * {@code bench-a/dut} on a loopback port. Not Pax Exam: the launcher is the framework here.
 *
 * <p>What a kill -9 of bench-a looks like from bench-b: its kernel closes bench-a's connections,
 * so a stream open through bench-b's forward ends at once, with an error its export logs (the
 * fleet connection ended without TLS's close_notify, naming {@code fleet endpoint bench-a/dut});
 * its client reads the end of stream. A connection made before bench-a's session expires is closed with a
 * WARN naming {@code fleet endpoint bench-a/dut}; the endpoint goes (its "down" line) when ZooKeeper
 * ends bench-a's session.
 */
public class FleetProcessIT {
    private static final long WAIT_MS = 30_000;
    /**
     * ZooKeeper's tick. A server accepts session timeouts between minSessionTimeout (ZooKeeper's
     * default 2 ticks; curator-test sets it to 1 tick) and maxSessionTimeout (20 ticks), and
     * caps a client's request into that range: 4000 ms is inside it with a tick of 1000 ms (it
     * is also curator-test's default tick), so the sessions get the timeout asked for (checked
     * with the server's "cons" command).
     */
    private static final int TICK_MS = 1000;
    private static final int SESSION_TIMEOUT_MS = 4000;
    /** bench-b's registry wait_ms: how long a connection to its forward waits for bench-a/dut while none is registered. */
    private static final int DRIVER_WAIT_MS = 1000;
    private static final String NAME = "dut";
    private static final String REMOTE = "bench-a/" + NAME;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static Certificates certs;

    private final Path dist = Path.of(System.getProperty("netdrivers.dist", "../launcher/target/netdrivers")).toAbsolutePath();
    private final Path build = BuildFolder.path();
    private final List<Runtime> runtimes = new ArrayList<>();
    private EchoServer echo;
    private TestingServer zookeeper;
    private TestingCluster ensemble;
    private Runtime a;
    private Runtime b;
    private int forwardPort;
    /** Ends the ensemble test's traffic loop, also when the test fails half-way. */
    private final AtomicBoolean stopTraffic = new AtomicBoolean();

    @BeforeClass
    public static void certificatesAndServerCommands() throws Exception {
        // the ZooKeeper servers answer "srvr" (mode) and "cons" (sessions and their timeouts) on their client port
        if (System.getProperty("zookeeper.4lw.commands.whitelist") == null) {
            System.setProperty("zookeeper.4lw.commands.whitelist", "srvr,cons");
        }
        // ZooKeeper's servers in this JVM log through pax-logging-api's fallback logger, at DEBUG unless told
        org.ops4j.pax.logging.spi.support.DefaultServiceLog.setLogLevel("WARN");
        certs = Certificates.inBuildFolder("fleet-certs");
        certs.keyStore("bench-a", "bench-a");
        certs.keyStore("bench-b", "bench-b");
        certs.trustStore("fleet-trust", "bench-a", "bench-b");
    }

    @AfterClass
    public static void fallbackLoggingAsBefore() {
        org.ops4j.pax.logging.spi.support.DefaultServiceLog.setLogLevel(
                System.getProperty("org.ops4j.pax.logging.DefaultServiceLog.level", "DEBUG"));
    }

    @After
    public void stopEverything() throws Exception {
        stopTraffic.set(true);
        for (Runtime r : runtimes) {
            r.kill(); // SIGKILL: nothing of a runtime is checked after a test, and a leaked process is worse than an unclean end
        }
        if (echo != null) {
            echo.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
        if (ensemble != null) {
            ensemble.close();
        }
    }

    private InstanceSpec spec() throws IOException {
        // random ports, this tick, and a data folder in the build folder (deleted on close): ZooKeeper's
        // embedded server writes its configuration file beside that folder and never deletes it
        return new InstanceSpec(Files.createTempDirectory(build, "zookeeper-").toFile(), -1, -1, -1, true, -1, TICK_MS, -1);
    }

    // ---------------------------------------------------------------------------------------------

    /** A launcher distribution in a process of its own; its output lines, each with when the test read it. */
    private final class Runtime {
        final String name;
        final Path home;
        final List<Line> lines = new CopyOnWriteArrayList<>();
        Process process;

        Runtime(String name, Path home) {
            this.name = name;
            this.home = home;
        }

        void start() throws IOException {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    dist.resolve("lib/netdrivers-launcher.jar").toString(), "--home", home.toString(), "--no-shell")
                    .redirectErrorStream(true).start();
            process = p;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(new Line(System.nanoTime(), line));
                        System.out.println(name + "> " + line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, name + "-output");
            reader.setDaemon(true);
            reader.start();
        }

        long pid() {
            return process.pid();
        }

        int mark() {
            return lines.size();
        }

        Line await(String what) throws InterruptedException {
            return await(what, 0, WAIT_MS);
        }

        Line await(String what, int from) throws InterruptedException {
            return await(what, from, WAIT_MS);
        }

        /** The first line from index {@code from} on that contains {@code what}, waiting at most {@code ms}. */
        Line await(String what, int from, long ms) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            while (true) {
                for (int i = from; i < lines.size(); i++) {
                    if (lines.get(i).text().contains(what)) {
                        return lines.get(i);
                    }
                }
                if (System.nanoTime() > deadline) {
                    fail(name + " did not log \"" + what + "\" within " + ms + " ms");
                }
                if (!process.isAlive() && process.exitValue() != 137) {
                    fail(name + " exited (" + process.exitValue() + ") before logging \"" + what + "\"");
                }
                Thread.sleep(10);
            }
        }

        List<String> linesFrom(int from, String what) {
            return lines.subList(from, lines.size()).stream().map(Line::text).filter(l -> l.contains(what)).collect(Collectors.toList());
        }

        /** kill -9, as the kernel's OOM killer or a power cut would end it (ProcessHandle: our end of its output stays open). */
        void kill() throws InterruptedException {
            if (process != null && process.isAlive()) {
                process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                process.toHandle().destroyForcibly();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    fail(name + " (pid " + process.pid() + ") still runs 15 s after SIGKILL");
                }
            }
        }

        void etc(String file, String text) throws IOException {
            // written beside etc/, then moved in at once: FileInstall never reads half a file
            Path tmp = Files.createTempFile(home, file, ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, home.resolve("etc").resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** An output line and when this test read it (System.nanoTime). */
    private record Line(long nanos, String text) {
        /** The time of day the runtime logged it ({@code HH:mm:ss.SSS} at the start of the line), in ms. */
        long loggedAt() {
            String t = text.substring(0, 12);
            return ((Integer.parseInt(t.substring(0, 2)) * 60L + Integer.parseInt(t.substring(3, 5))) * 60
                    + Integer.parseInt(t.substring(6, 8))) * 1000 + Integer.parseInt(t.substring(9, 12));
        }
    }

    /** {@code later} logged this many ms after {@code earlier} (both runtimes read this machine's clock). */
    private static long loggedBetween(Line earlier, Line later) {
        return Math.floorMod(later.loggedAt() - earlier.loggedAt(), 24L * 3600 * 1000);
    }

    private static long ms(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    /** A runtime's home (etc/ marked initialized: no demo) with its fleet configuration. */
    private Runtime runtime(String name, String zookeeperConnect, int fleetPort) throws IOException {
        Path home = Files.createTempDirectory(build, "fleet-" + name + "-");
        Files.createDirectories(home.resolve("etc"));
        Files.writeString(home.resolve("etc/.initialized"), "test\n");
        Files.writeString(home.resolve("etc/org.netdrivers.fleet.cfg"), String.join("\n",
                "zookeeper = " + zookeeperConnect,
                "runtime = " + name,
                "listen = tcp://127.0.0.1:" + fleetPort,
                "key_store = " + certs.store(name),
                "key_store_password = " + Certificates.PASSWORD,
                "trust_store = " + certs.store("fleet-trust"),
                "trust_store_password = " + Certificates.PASSWORD,
                "allow = CN=bench-a;CN=bench-b",
                "session_timeout_ms = " + SESSION_TIMEOUT_MS,
                ""));
        Runtime r = new Runtime(name, home);
        runtimes.add(r);
        return r;
    }

    /** bench-a's TCP endpoint {@code dut}, the echo server, shared with the fleet. */
    private String sharedTcpDriver() {
        return "network.name = " + NAME + "\nhost = 127.0.0.1\nport = " + echo.port() + "\nnetwork.fleet = true\n";
    }

    /**
     * Starts bench-b (a forward of bench-a/dut) and bench-a (its endpoint shared now or later),
     * and waits until both are in the fleet and the forward listens.
     */
    private void startBoth(String zookeeperConnect, boolean shareNow) throws Exception {
        echo = EchoServer.loopback();
        forwardPort = freePort();
        b = runtime("bench-b", zookeeperConnect, freePort());
        Files.writeString(b.home.resolve("etc/org.netdrivers.forward-dut.cfg"),
                "target = " + REMOTE + "\nlisten = tcp://127.0.0.1:" + forwardPort + "\n");
        Files.writeString(b.home.resolve("etc/org.netdrivers.registry.cfg"), "wait_ms = " + DRIVER_WAIT_MS + "\n");
        a = runtime("bench-a", zookeeperConnect, freePort());
        if (shareNow) {
            Files.writeString(a.home.resolve("etc/org.netdrivers.tcp-" + NAME + ".cfg"), sharedTcpDriver());
        }
        b.start();
        a.start();
        b.await("Fleet: ZooKeeper connected");
        a.await("Fleet: ZooKeeper connected");
        b.await("export tcp://127.0.0.1:" + forwardPort + " listening for '" + REMOTE + "'");
    }

    /**
     * A free port that is none of the ZooKeeper servers' either: their ports are picked when their
     * specs are made and bound only as the servers start and elect (an ensemble's quorum and
     * election ports), so a port free now may be one of them a moment later.
     */
    private int freePort() {
        java.util.Set<Integer> theirs = new java.util.HashSet<>();
        List<InstanceSpec> specs = ensemble != null ? ensemble.getInstances().stream().toList() : List.of();
        for (InstanceSpec spec : specs) {
            theirs.addAll(List.of(spec.getPort(), spec.getQuorumPort(), spec.getElectionPort()));
        }
        if (zookeeper != null) {
            theirs.add(zookeeper.getPort());
        }
        for (int i = 0; i < 100; i++) {
            int port = FreePort.find();
            if (!theirs.contains(port)) {
                return port;
            }
        }
        throw new AssertionError("no free port outside ZooKeeper's " + theirs + " in 100 tries");
    }

    /** {@code size} bytes through bench-b's forward and back, then our half-close and the echo server's. */
    private String roundTrip(long seed, int size) throws Exception {
        int endsBefore = echo.endsOfStream.get();
        try (Socket s = new Socket(LOOPBACK, forwardPort)) {
            s.setSoTimeout((int) WAIT_MS * 2);
            Future<String> sent = Payload.THREADS.submit(() -> {
                String sha = Payload.write(s.getOutputStream(), seed, size);
                s.shutdownOutput(); // to the echo server through both runtimes; its own end comes back once it read ours
                return size + ":" + sha;
            });
            String received = Payload.read(s.getInputStream()); // to our end of stream
            int endsAtOurEof = echo.endsOfStream.get();
            assertEquals("the echo of " + REMOTE + " through bench-b's forward (bytes:SHA-256)", sent.get(60, TimeUnit.SECONDS), received);
            assertEquals("the echo server read our end of stream before our input ended (the half-close went there, its own came back)",
                    endsBefore + 1, endsAtOurEof);
            return received;
        }
    }

    /**
     * A new connection to bench-b's forward while bench-a/dut cannot be reached: sends a line and
     * expects no answer but the connection's end (EOF, reset, or refused) within {@code boundMs}.
     * @return how it ended and after how many ms
     */
    private String newConnectionEnds(long boundMs) throws IOException {
        long t0 = System.nanoTime();
        String how;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, forwardPort), (int) boundMs);
            s.setSoTimeout((int) boundMs);
            s.getOutputStream().write("anyone?\n".getBytes(StandardCharsets.US_ASCII));
            int r = s.getInputStream().read();
            assertEquals("no answer, only the end of the connection", -1, r);
            how = "closed (EOF)";
        } catch (ConnectException e) {
            how = "refused";
        } catch (SocketTimeoutException e) {
            throw new AssertionError("a new connection to bench-b's forward hangs: no end within " + boundMs + " ms", e);
        } catch (SocketException e) {
            how = "reset (" + e.getMessage() + ")";
        }
        long took = ms(t0, System.nanoTime());
        assertTrue("the new connection ended within " + boundMs + " ms: " + took + " ms", took <= boundMs);
        return how + " after " + took + " ms";
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    public void aSharedEndpointIsInTheOtherRuntimeWithin2SecondsAndCarries64MebibytesEachWayWithHalfCloses() throws Exception {
        zookeeper = new TestingServer(spec(), true);
        startBoth(zookeeper.getConnectString(), false);
        String sessions = fourLetter(zookeeper.getPort(), "cons");
        System.out.println("ZooKeeper's sessions (cons):\n" + sessions.strip());
        if (sessions.contains("not in the whitelist")) {
            System.out.println("(not checked: a ZooKeeper server started earlier in this JVM fixed the four-letter command list)");
        } else {
            assertEquals("both runtimes' sessions have the timeout they asked for: " + sessions, 2, count(sessions, "to=" + SESSION_TIMEOUT_MS));
        }

        int fromA = a.mark();
        int fromB = b.mark();
        a.etc("org.netdrivers.tcp-" + NAME + ".cfg", sharedTcpDriver());
        Line publishing = a.await("Fleet: publishing " + NAME + " as " + REMOTE, fromA);
        Line up = b.await("Fleet: remote endpoint " + REMOTE + " up", fromB);
        long logged = loggedBetween(publishing, up);
        long read = ms(publishing.nanos(), up.nanos());
        System.out.println("FIGURE publish-to-listed: bench-a logged 'publishing' -> bench-b logged '" + REMOTE + " up': " + logged
                + " ms by their log clocks (" + read + " ms between the test reading the two lines)");
        assertTrue("bench-b lists " + REMOTE + " within 2 s of bench-a publishing it: " + logged + " ms", logged <= 2000);

        int size = 64 * 1024 * 1024;
        long t0 = System.nanoTime();
        String received = roundTrip(42, size);
        System.out.println("FIGURE 64MiB: 64 MiB each way through bench-b's forward tcp://127.0.0.1:" + forwardPort + " -> " + REMOTE
                + " (mutual TLS to bench-a's fleet port) -> the echo server, and the half-closes both ways, in "
                + ms(t0, System.nanoTime()) + " ms: " + received);
    }

    @Test
    public void killMinus9OfTheOwnerDropsItsEndpointWithinTheSessionTimeoutAndARestartBringsItBack() throws Exception {
        zookeeper = new TestingServer(spec(), true);
        startBoth(zookeeper.getConnectString(), true);
        b.await("Fleet: remote endpoint " + REMOTE + " up");
        long bound = SESSION_TIMEOUT_MS + 2000;

        try (Socket open = new Socket(LOOPBACK, forwardPort)) {
            open.setSoTimeout((int) WAIT_MS);
            open.getOutputStream().write("before\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = open.getInputStream();
            byte[] before = in.readNBytes(7);
            assertEquals("before\n", new String(before, StandardCharsets.US_ASCII));
            Future<String> ended = Payload.THREADS.submit(() -> {
                try {
                    int r = in.read();
                    return r < 0 ? "EOF" : "a byte (" + r + ")";
                } catch (SocketException e) {
                    return "reset (" + e.getMessage() + ")";
                }
            });

            int fromB = b.mark();
            int echoEnds = echo.endsOfStream.get();
            long killed = System.nanoTime();
            a.kill();
            System.out.println("bench-a (pid " + a.pid() + ") killed with SIGKILL, exit " + a.process.exitValue());

            String how = ended.get(bound, TimeUnit.MILLISECONDS);
            long streamEnded = ms(killed, System.nanoTime());
            System.out.println("FIGURE open-stream-end: the open stream through bench-b's forward ended: " + how + ", " + streamEnded
                    + " ms after the kill");
            assertTrue("the open stream ends with no more data, EOF or reset: " + how, how.equals("EOF") || how.startsWith("reset"));
            // its cause, said by the export: the fleet stream ended without TLS's close, naming the remote endpoint
            b.await("fleet endpoint " + REMOTE + " via", fromB, 5000);
            assertTrue("the open stream's end is an error naming " + REMOTE + ": " + b.linesFrom(fromB, "fleet endpoint " + REMOTE),
                    b.linesFrom(fromB, "fleet endpoint " + REMOTE).stream().anyMatch(l -> l.contains("without the peer's TLS close_notify")));

            // between the kill and the end of bench-a's session, bench-a/dut is still listed: a new connection
            // is not served (bench-a's fleet port is gone) and ends rather than hangs
            String gap = newConnectionEnds(bound);
            boolean beforeDown = b.linesFrom(fromB, "remote endpoint " + REMOTE + " down").isEmpty();
            System.out.println("FIGURE gap-connection: a new connection to bench-b's forward " + (beforeDown ? "before" : "after")
                    + " the endpoint was dropped: " + gap);
            if (beforeDown) {
                // that connection's cause is said by the export, naming the remote endpoint and so the runtime
                b.await("fleet endpoint " + REMOTE + " via", fromB, 5000);
            }

            Line down = b.await("Fleet: remote endpoint " + REMOTE + " down", fromB, bound + 1000);
            long gone = ms(killed, down.nanos());
            System.out.println("FIGURE kill-to-down: bench-b dropped " + REMOTE + " " + gone + " ms after the kill (session timeout "
                    + SESSION_TIMEOUT_MS + " ms, tick " + TICK_MS + " ms)");
            assertTrue("bench-b drops " + REMOTE + " within the session timeout + 2 s (" + bound + " ms): " + gone + " ms", gone <= bound);
            System.out.println("FIGURE after-down-connection: a new connection to bench-b's forward after the endpoint was dropped "
                    + "(bench-b's wait_ms " + DRIVER_WAIT_MS + "): " + newConnectionEnds(DRIVER_WAIT_MS + 2000));

            // what bench-b said since the kill
            System.out.println("bench-b's lines since the kill:");
            b.lines.subList(fromB, b.lines.size()).forEach(l -> System.out.println("  " + l.text()));
        }

        int fromB = b.mark();
        long restarted = System.nanoTime();
        a.start();
        Line up = b.await("Fleet: remote endpoint " + REMOTE + " up", fromB);
        System.out.println("FIGURE restart-to-up: bench-a restarted (same home): " + REMOTE + " back in bench-b " + ms(restarted, up.nanos())
                + " ms after the process started");
        String received = roundTrip(7, 1024 * 1024);
        System.out.println("after the restart, 1 MiB each way through bench-b's forward: " + received);
    }

    /**
     * ZooKeeper gone for longer than the session timeout: bench-b withdraws bench-a/dut (new
     * connections to its forward are not served), a stream already open goes on (it does not pass
     * through ZooKeeper), and the endpoint is back once ZooKeeper answers again.
     */
    @Test
    public void zooKeeperGoneWithdrawsRemoteEndpointsButNotTheirOpenStreamsAndTheyComeBack() throws Exception {
        zookeeper = new TestingServer(spec(), true);
        startBoth(zookeeper.getConnectString(), true);
        b.await("Fleet: remote endpoint " + REMOTE + " up");
        try (Socket open = new Socket(LOOPBACK, forwardPort)) {
            open.setSoTimeout((int) WAIT_MS);
            assertEquals("before", exchange(open, "before"));

            int fromB = b.mark();
            int fromA = a.mark();
            long stopped = System.nanoTime();
            zookeeper.stop();
            Line withdrawn = b.await("remote endpoint(s) withdrawn until it answers", fromB, SESSION_TIMEOUT_MS + 10_000);
            System.out.println("FIGURE zookeeper-gone: bench-b withdrew the remote endpoints " + ms(stopped, withdrawn.nanos())
                    + " ms after ZooKeeper stopped (session timeout " + SESSION_TIMEOUT_MS + " ms): " + withdrawn.text());
            assertEquals("bench-a's own endpoint goes on", List.of(), a.linesFrom(fromA, "driver '" + NAME + "' down"));
            assertEquals("the stream opened before goes on", "during", exchange(open, "during"));
            System.out.println("FIGURE zookeeper-gone-new-connection: " + newConnectionEnds(DRIVER_WAIT_MS + 2000));

            int fromRestart = b.mark();
            long restarted = System.nanoTime();
            zookeeper.restart();
            Line back = b.await("Fleet: remote endpoint " + REMOTE + " up", fromRestart, WAIT_MS);
            System.out.println("FIGURE zookeeper-back: " + REMOTE + " back in bench-b " + ms(restarted, back.nanos())
                    + " ms after ZooKeeper restarted");
            assertEquals("the stream opened before still goes on", "after", exchange(open, "after"));
            // (the open stream is still open here: its end would reach the echo server during the round trip's count)
            System.out.println("after ZooKeeper came back, 1 MiB each way through bench-b's forward: " + roundTrip(9, 1024 * 1024));
            // bench-a's node of its old session goes when the server expires that session, and its new session's
            // node comes at once: bench-b sees a down and an up, which must not cut a stream (nor the round trip)
            System.out.println("FIGURE zookeeper-flap: since ZooKeeper restarted, bench-b logged " + REMOTE + " down "
                    + b.linesFrom(fromRestart, "remote endpoint " + REMOTE + " down").size() + " time(s) and up "
                    + b.linesFrom(fromRestart, "remote endpoint " + REMOTE + " up").size() + " time(s)");
            assertEquals("the stream opened before ZooKeeper went still goes on", "last", exchange(open, "last"));
        }
    }

    /** One line through an open connection to bench-b's forward, and its echo. */
    private static String exchange(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        byte[] back = s.getInputStream().readNBytes(line.length() + 1);
        return new String(back, StandardCharsets.US_ASCII).trim();
    }

    @Test
    public void aZooKeeperNodeKilledUnderTrafficFailsNoConnectionAndDropsNoEndpoint() throws Exception {
        ensemble = new TestingCluster(spec(), spec(), spec());
        ensemble.start();
        startBoth(ensemble.getConnectString(), true);
        b.await("Fleet: remote endpoint " + REMOTE + " up");
        roundTrip(1, 4096);

        Map<Integer, InstanceSpec> byPort = new HashMap<>();
        StringBuilder modes = new StringBuilder();
        InstanceSpec leader = null;
        for (InstanceSpec s : ensemble.getInstances()) {
            byPort.put(s.getPort(), s);
            String mode = mode(s.getPort());
            modes.append(" server ").append(s.getServerId()).append(" port ").append(s.getPort()).append(' ').append(mode);
            if ("leader".equals(mode)) {
                leader = s;
            }
        }
        InstanceSpec ofA = connectedServer(a, byPort);
        InstanceSpec ofB = connectedServer(b, byPort);
        InstanceSpec victim;
        String why;
        if (ofA != null && ofA.equals(ofB)) {
            victim = ofA;
            why = "the server both runtimes are connected to";
        } else if (leader != null && (leader.equals(ofA) || leader.equals(ofB))) {
            victim = leader;
            why = "the leader, which one runtime is connected to (every client reconnects while the others elect a new one)";
        } else if (ofA != null) {
            victim = ofA;
            why = "the server bench-a (the owner, whose session holds the endpoint's node) is connected to";
        } else {
            victim = leader;
            why = "the leader (which server each runtime is connected to could not be told here)";
        }
        assertTrue("a server to kill", victim != null);
        System.out.println("ensemble:" + modes + "; bench-a connected to " + describe(ofA) + ", bench-b to " + describe(ofB));

        AtomicBoolean stop = stopTraffic;
        AtomicInteger served = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        int maxConnections = 20_000;
        Future<?> traffic = Payload.THREADS.submit(() -> {
            byte[] message = new byte[4096];
            Payload.fill(new SplittableRandom(3), message);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int i = 0; i < maxConnections && !stop.get() && System.nanoTime() < end; i++) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(LOOPBACK, forwardPort), 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(message);
                    s.shutdownOutput();
                    byte[] back = s.getInputStream().readAllBytes();
                    if (java.util.Arrays.equals(message, back)) {
                        served.incrementAndGet();
                    } else {
                        failures.add("connection " + i + ": " + back.length + " bytes back, not the 4096 sent");
                    }
                } catch (IOException e) {
                    failures.add("connection " + i + ": " + e);
                }
            }
        });

        int fromA = a.mark();
        int fromB = b.mark();
        // a second of traffic, and at least 5 connections served, before the kill (bounded)
        long trafficFrom = System.nanoTime();
        while ((served.get() < 5 || ms(trafficFrom, System.nanoTime()) < 1000) && failures.isEmpty()
                && ms(trafficFrom, System.nanoTime()) < WAIT_MS) {
            Thread.sleep(20);
        }
        int beforeKill = served.get();
        long killed = System.nanoTime();
        assertTrue(ensemble.killServer(victim));
        System.out.println("killed ZooKeeper server " + victim.getServerId() + " (port " + victim.getPort() + "): " + why);
        // traffic goes on through the session timeout and 2 s more, and until the runtimes that lost their server are back
        long until = killed + TimeUnit.MILLISECONDS.toNanos(SESSION_TIMEOUT_MS + 2000);
        List<String> back = new ArrayList<>();
        for (Runtime r : List.of(a, b)) {
            InstanceSpec of = r == a ? ofA : ofB;
            if (victim.equals(of) || victim.equals(leader)) {
                Line reconnected = r.await("Fleet: ZooKeeper reconnected", r == a ? fromA : fromB, WAIT_MS);
                back.add(r.name + " reconnected " + ms(killed, reconnected.nanos()) + " ms after the kill");
            }
        }
        while (System.nanoTime() < until) {
            Thread.sleep(50);
        }
        stop.set(true);
        traffic.get(30, TimeUnit.SECONDS);
        long window = ms(killed, System.nanoTime());

        System.out.println("FIGURE ensemble: " + served.get() + " connections echoed through bench-b's forward (" + beforeKill
                + " before the kill, the rest in the " + window + " ms after it), " + failures.size() + " failed; " + back);
        System.out.println("bench-a's fleet lines since: " + a.linesFrom(fromA, "Fleet:"));
        System.out.println("bench-b's fleet lines since: " + b.linesFrom(fromB, "Fleet:"));
        assertEquals("connections that failed: " + failures, 0, failures.size());
        assertTrue("traffic went on after the kill: " + served.get() + " connections, " + beforeKill + " before it",
                served.get() > beforeKill && beforeKill > 0);
        assertEquals("bench-b never dropped " + REMOTE + ": " + b.linesFrom(fromB, REMOTE), 0,
                b.linesFrom(fromB, "remote endpoint " + REMOTE + " down").size());
    }

    // ---------------------------------------------------------------------------------------------

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String describe(InstanceSpec s) {
        return s == null ? "(unknown)" : "server " + s.getServerId() + " (port " + s.getPort() + ")";
    }

    /** A ZooKeeper four-letter command's answer. */
    private static String fourLetter(int port, String command) throws IOException {
        try (Socket s = new Socket(LOOPBACK, port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(command.getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** leader, follower or standalone, from the server's "srvr" answer. */
    private static String mode(int port) {
        try {
            for (String line : fourLetter(port, "srvr").split("\n")) {
                if (line.startsWith("Mode: ")) {
                    return line.substring(6).trim();
                }
            }
            return "(no mode)";
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    /**
     * The server a runtime's ZooKeeper client is connected to: the established TCP connection of
     * one of the process's sockets (/proc/PID/fd) to a server's client port (/proc/net/tcp, tcp6).
     * Linux only; null elsewhere or when not found.
     */
    private static InstanceSpec connectedServer(Runtime r, Map<Integer, InstanceSpec> byPort) {
        Set<String> inodes = new HashSet<>();
        File[] fds = new File("/proc/" + r.pid() + "/fd").listFiles();
        if (fds == null) {
            return null;
        }
        for (File fd : fds) {
            try {
                String target = Files.readSymbolicLink(fd.toPath()).toString();
                if (target.startsWith("socket:[")) {
                    inodes.add(target.substring(8, target.length() - 1));
                }
            } catch (IOException e) {
                // closed meanwhile
            }
        }
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !f[3].equals("01") || !inodes.contains(f[9])) {
                        continue; // the header, not established, or not the runtime's
                    }
                    int remotePort = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                    InstanceSpec s = byPort.get(remotePort);
                    if (s != null) {
                        return s;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table here
            }
        }
        return null;
    }
}
