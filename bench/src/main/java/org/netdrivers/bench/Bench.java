package org.netdrivers.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.netdrivers.launcher.Main;
import org.osgi.framework.launch.Framework;

/**
 * Measures, in one run on loopback: bulk throughput client → TCP export → TCP driver → sink,
 * 64-byte request/response latency, and connections per second through the export; the same
 * throughput and latency through a Unix export of a Unix driver; request/response datagrams per
 * second, their round trips (and losses) through a UDP export of a UDP driver. Each against the
 * same done directly and through socat ({@code socat -b262144} for TCP and Unix, its UDP forward
 * for UDP); UDP also through {@link UdpRelayLab}, connections/s also through {@link NioRelayLab}
 * and haproxy (where installed). Then, with the external tools where they
 * are installed ({@link ExternalTools}): iperf3 bulk TCP and sockperf ping-pong, the same three ways.
 */
public final class Bench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bench");
        t.setDaemon(true);
        return t;
    });

    private Bench() {}

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]).toAbsolutePath();
        boolean quick = Arrays.asList(args).contains("--quick");
        boolean toolsOnly = Arrays.asList(args).contains("--tools");
        long bulkBytes = (quick ? 256L : 1024L) * 1024 * 1024;
        int roundTrips = quick ? 5_000 : 20_000;
        long connectSeconds = quick ? 2 : 4;
        boolean toolsOk = true;

        try (Sink sink = new Sink(); Echo echo = new Echo()) {
            int sinkExport = freePort();
            int echoExport = freePort();
            Path home = Files.createTempDirectory("netdrivers-bench");
            writeQuietLogging(home);
            Files.writeString(home.resolve("etc/org.netdrivers.tcp-sink.cfg"), "network.name = sink\nhost = 127.0.0.1\nport = "
                    + sink.port() + "\nnetwork.export = tcp://127.0.0.1:" + sinkExport + "\n");
            Files.writeString(home.resolve("etc/org.netdrivers.tcp-echo.cfg"), "network.name = echo\nhost = 127.0.0.1\nport = "
                    + echo.port() + "\nnetwork.export = tcp://127.0.0.1:" + echoExport + "\n");
            TlsBench tls = TlsBench.prepare(home.resolve("etc"), echo.port());

            Path sockets = Files.createTempDirectory("nd-bench");
            Path unixSink = sockets.resolve("sink.sock");
            Path unixEcho = sockets.resolve("echo.sock");
            Path unixSinkExport = sockets.resolve("sink-export.sock");
            Path unixEchoExport = sockets.resolve("echo-export.sock");
            UnixServer unixSinkServer = new UnixServer(unixSink, sink);
            UnixServer unixEchoServer = new UnixServer(unixEcho, echo);
            Files.writeString(home.resolve("etc/org.netdrivers.unix-sink.cfg"), "network.name = usink\npath = " + unixSink
                    + "\nnetwork.export = unix:" + unixSinkExport + "\n");
            Files.writeString(home.resolve("etc/org.netdrivers.unix-echo.cfg"), "network.name = uecho\npath = " + unixEcho
                    + "\nnetwork.export = unix:" + unixEchoExport + "\n");
            UdpEcho udpEcho = new UdpEcho();
            int udpExport = freePort();
            Files.writeString(home.resolve("etc/org.netdrivers.udp-echo.cfg"), "network.name = decho\nhost = 127.0.0.1\nport = "
                    + udpEcho.port() + "\nnetwork.export = udp://127.0.0.1:" + udpExport + "\n");

            // WebSocket: a Jetty echo server, reached by the WebSocket driver through a TCP export
            Protocols.WsEcho wsEcho = new Protocols.WsEcho();
            int wsExport = freePort();
            Files.writeString(home.resolve("etc/org.netdrivers.websocket-echo.cfg"), "network.name = wecho\nurl = ws://127.0.0.1:"
                    + wsEcho.port() + "/echo\nnetwork.export = tcp://127.0.0.1:" + wsExport + "\n");
            // D-Bus: a dbus-daemon, reached by the D-Bus driver through a Unix export
            Process dbus = null;
            Path bus = sockets.resolve("bus.sock");
            Path busExport = sockets.resolve("bus-export.sock");
            if (Protocols.dbusInstalled()) {
                dbus = Protocols.dbusDaemon(sockets, bus);
                Files.writeString(home.resolve("etc/org.netdrivers.dbus-bus.cfg"), "network.name = bus\nkind = session\naddress = unix:path="
                        + bus + "\nnetwork.export = unix:" + busExport + "\n");
            }

            // iperf3 and sockperf servers, and their drivers (written into etc/ before the runtime starts)
            ExternalTools tools = ExternalTools.prepare(home.resolve("etc"), sockets, quick);

            Framework framework;
            try {
                framework = Main.start(dist, home, false);
            } catch (Exception | Error e) {
                tools.close();
                throw e;
            }
            List<Process> forwards = new ArrayList<>(); // socat and haproxy
            try {
                awaitListening(sinkExport);
                awaitListening(echoExport);
                Integer socatSink = null;
                Integer socatEcho = null;
                if (socatInstalled()) {
                    socatSink = freePort();
                    socatEcho = freePort();
                    forwards.add(socat(socatSink, sink.port()));
                    forwards.add(socat(socatEcho, echo.port()));
                    awaitListening(socatSink);
                    awaitListening(socatEcho);
                } else {
                    System.out.println("socat is not installed: the socat column is left out (apt-get install socat)");
                }
                if (!toolsOnly) {
                    System.out.printf(Locale.ROOT, "netdrivers bench: %d cores, Java %s, bulk %d MiB, %d round trips, %d s of connects%n",
                            Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), bulkBytes >> 20,
                            roundTrips, connectSeconds);

                    // warm up every path
                    for (Integer port : Arrays.asList(sink.port(), sinkExport, socatSink)) {
                        if (port != null) {
                            throughput(port, 64L << 20);
                        }
                    }
                    for (Integer port : Arrays.asList(echo.port(), echoExport, socatEcho)) {
                        if (port != null) {
                            latency(port, 2000);
                        }
                    }
                    Integer sinkViaSocat = socatSink;
                    Integer echoViaSocat = socatEcho;
                    throughputRounds("throughput", () -> throughput(sink.port(), bulkBytes), () -> throughput(sinkExport, bulkBytes),
                            sinkViaSocat == null ? null : () -> throughput(sinkViaSocat, bulkBytes));
                    latencyRounds("latency", () -> latency(echo.port(), roundTrips), () -> latency(echoExport, roundTrips),
                            echoViaSocat == null ? null : () -> latency(echoViaSocat, roundTrips));
                    try {
                        tls.awaitHandshake();
                        tls.run(echoExport, bulkBytes / 2, forwards);
                    } catch (Exception e) {
                        System.out.println("tls export: not measured: " + e);
                    }

                    Integer haproxyEcho = null;
                    if (haproxyInstalled()) {
                        haproxyEcho = freePort();
                        forwards.add(haproxy(haproxyEcho, echo.port(), home));
                        awaitListening(haproxyEcho);
                    } else {
                        System.out.println("haproxy is not installed: the haproxy reference of connections/s is left out (apt-get install haproxy)");
                    }
                    connectRounds(echo.port(), echoExport, socatEcho, haproxyEcho, connectSeconds);

                    // Unix: client -> unix export -> unix driver -> sink, against direct and socat
                    awaitUnix(unixSinkExport);
                    awaitUnix(unixEchoExport);
                    Path socatUnixSink = null;
                    Path socatUnixEcho = null;
                    if (socatInstalled()) {
                        socatUnixSink = sockets.resolve("socat-sink.sock");
                        socatUnixEcho = sockets.resolve("socat-echo.sock");
                        forwards.add(socatUnix(socatUnixSink, unixSink));
                        forwards.add(socatUnix(socatUnixEcho, unixEcho));
                        awaitUnix(socatUnixSink);
                        awaitUnix(socatUnixEcho);
                    }
                    for (Path path : Arrays.asList(unixSink, unixSinkExport, socatUnixSink)) {
                        if (path != null) {
                            unixThroughput(path, 64L << 20);
                        }
                    }
                    for (Path path : Arrays.asList(unixEcho, unixEchoExport, socatUnixEcho)) {
                        if (path != null) {
                            unixLatency(path, 2000);
                        }
                    }
                    Path uSinkViaSocat = socatUnixSink;
                    Path uEchoViaSocat = socatUnixEcho;
                    throughputRounds("unix throughput", () -> unixThroughput(unixSink, bulkBytes),
                            () -> unixThroughput(unixSinkExport, bulkBytes),
                            uSinkViaSocat == null ? null : () -> unixThroughput(uSinkViaSocat, bulkBytes));
                    latencyRounds("unix latency", () -> unixLatency(unixEcho, roundTrips), () -> unixLatency(unixEchoExport, roundTrips),
                            uEchoViaSocat == null ? null : () -> unixLatency(uEchoViaSocat, roundTrips));

                    // UDP: request/response datagrams through the UDP export, against direct, socat and one selector loop
                    awaitUdp(udpExport);
                    datagramRounds(udpEcho.port(), udpExport, connectSeconds);

                    // WebSocket: 64 B messages, round trips and rate, through the driver (TCP export) and straight (JDK client)
                    awaitListening(wsExport);
                    latency(wsExport, 2000);
                    Protocols.wsDirectLatency(wsEcho.port(), 2000);
                    long[] wDirect = Protocols.wsDirectLatency(wsEcho.port(), roundTrips);
                    long[] wExport = latency(wsExport, roundTrips);
                    System.out.printf(Locale.ROOT, "websocket 64 B message round trip, us p50/p99: direct client %s | through the driver %s (added %s)%n",
                            us(wDirect), us(wExport), added(wExport, wDirect));
                    double wrDirect = Protocols.wsDirectRate(wsEcho.port(), connectSeconds);
                    double wrExport = Protocols.tcpRate(wsExport, connectSeconds);
                    System.out.printf(Locale.ROOT, "websocket 64 B messages/s, 16 in flight: direct client %.0f | through the driver %.0f (%.2fx direct)%n",
                            wrDirect, wrExport, wrExport / wrDirect);

                    // D-Bus: Peer.Ping round trips with dbus-java, through the driver (Unix export) and straight to the daemon
                    if (dbus != null) {
                        awaitUnix(busExport);
                        int pings = quick ? 2_000 : 10_000;
                        long[] pDirect = Protocols.pings("unix:path=" + bus, pings);
                        long[] pExport = Protocols.pings("unix:path=" + busExport, pings);
                        System.out.printf(Locale.ROOT, "d-bus Ping round trip (dbus-java), us p50/p99: direct %s | through the driver %s (added %s)%n",
                                us(pDirect), us(pExport), added(pExport, pDirect));
                    } else {
                        System.out.println("dbus-daemon is not installed: the D-Bus part is left out (apt-get install dbus-daemon)");
                    }

                }

                // iperf3 bulk TCP and sockperf ping-pong through the exports, direct, and through socat
                toolsOk = tools.run(socatInstalled());
            } finally {
                tools.close();
                wsEcho.close();
                if (dbus != null) {
                    dbus.destroy();
                }
                forwards.forEach(Process::destroy);
                unixSinkServer.close();
                unixEchoServer.close();
                udpEcho.close();
                Main.stop(framework);
                try (Stream<Path> files = Files.walk(home)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        System.exit(toolsOk ? 0 : 1);
    }

    /** Prepares {@code home}'s etc/ for a runtime that logs WARN and above to the console and takes no demo configuration. */
    static void writeQuietLogging(Path home) throws IOException {
        Files.createDirectories(home.resolve("etc"));
        Files.writeString(home.resolve("etc/.initialized"), "bench\n");
        Files.writeString(home.resolve("etc/org.ops4j.pax.logging.cfg"), String.join("\n",
                "log4j2.rootLogger.level = WARN",
                "log4j2.rootLogger.appenderRef.console.ref = console",
                "log4j2.appender.console.type = Console",
                "log4j2.appender.console.name = console",
                "log4j2.appender.console.layout.type = PatternLayout",
                "log4j2.appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5level %c{1} | %msg%n", ""));
    }

    /** One run of 64-byte round trips on one path: their times (ns), sorted. */
    @FunctionalInterface
    private interface RoundTrips extends java.util.concurrent.Callable<long[]> {
    }

    /**
     * MiB/s of the bench's own client into its sink, direct, through the export and through socat
     * (null: not installed), in {@link ExternalTools#ROUNDS} interleaved rounds: a figure is the
     * median of its rounds, a ratio the median of the rounds' ratios. The client and the sink share
     * the runtime's JVM (the external tools' lines below do not).
     */
    private static void throughputRounds(String what, ExternalTools.Run direct, ExternalTools.Run export, ExternalTools.Run socat)
            throws Exception {
        double[][] r = ExternalTools.interleaved(Arrays.asList(direct, export, socat));
        System.out.printf(Locale.ROOT, "%s MiB/s (%d interleaved rounds): direct %.0f | export %.0f (%.2fx direct) | socat %s%n", what,
                ExternalTools.ROUNDS, ExternalTools.median(r[0]), ExternalTools.median(r[1]), ExternalTools.medianRatio(r[1], r[0]),
                r[2] == null ? "-" : String.format(Locale.ROOT, "%.0f (export %.2fx socat; by round %s)", ExternalTools.median(r[2]),
                        ExternalTools.medianRatio(r[1], r[2]), ExternalTools.rounds(r[1], r[2])));
    }

    /** 64-byte round trips direct, through the export and through socat (null: not installed), in interleaved rounds. */
    private static void latencyRounds(String what, RoundTrips direct, RoundTrips export, RoundTrips socat) throws Exception {
        List<java.util.concurrent.Callable<long[]>> paths = Arrays.asList(direct, export, socat);
        List<List<long[]>> runs = ExternalTools.interleavedRuns(paths);
        double[][] p50 = new double[paths.size()][];
        double[][] p99 = new double[paths.size()][];
        for (int p = 0; p < paths.size(); p++) {
            if (runs.get(p) != null) {
                p50[p] = runs.get(p).stream().mapToDouble(sorted -> pct(sorted, 50) / 1e3).toArray();
                p99[p] = runs.get(p).stream().mapToDouble(sorted -> pct(sorted, 99) / 1e3).toArray();
            }
        }
        double d50 = ExternalTools.median(p50[0]);
        double d99 = ExternalTools.median(p99[0]);
        String[] names = {"direct", "export", "socat"};
        StringBuilder times = new StringBuilder();
        StringBuilder added = new StringBuilder();
        for (int p = 0; p < paths.size(); p++) {
            double m50 = p50[p] == null ? Double.NaN : ExternalTools.median(p50[p]);
            double m99 = p99[p] == null ? Double.NaN : ExternalTools.median(p99[p]);
            times.append(p == 0 ? "" : " | ").append(names[p]).append(p50[p] == null ? " -" : String.format(Locale.ROOT, " %.1f/%.1f", m50, m99));
            if (p > 0) {
                added.append(p == 1 ? "" : " | ").append(names[p])
                        .append(p50[p] == null ? " -" : String.format(Locale.ROOT, " %.1f/%.1f", m50 - d50, m99 - d99));
            }
        }
        System.out.printf(Locale.ROOT, "%s 64 B round trip, us p50/p99 (%d interleaved rounds, medians): %s%n", what, ExternalTools.ROUNDS, times);
        System.out.printf(Locale.ROOT, "  added p50/p99 us: %s%n", added);
    }

    /** MiB/s of {@code bytes} written to port until the sink has read them all. */
    static double throughput(int port, long bytes) throws IOException {
        byte[] chunk = new byte[256 * 1024];
        long t0 = System.nanoTime();
        try (Socket s = new Socket(LOOPBACK, port)) {
            OutputStream out = s.getOutputStream();
            for (long sent = 0; sent < bytes; sent += chunk.length) {
                out.write(chunk);
            }
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] count = in.readAllBytes(); // the sink answers with its count, then closes
            long got = Long.parseLong(new String(count).trim());
            if (got != bytes) {
                throw new IOException("sink counted " + got + " of " + bytes + " bytes");
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return bytes / seconds / (1 << 20);
    }

    /** Round-trip times in ns of 64-byte messages on one connection, sorted. */
    static long[] latency(int port, int count) throws IOException {
        long[] times = new long[count];
        try (Socket s = new Socket(LOOPBACK, port)) {
            s.setTcpNoDelay(true);
            roundTrips(s.getInputStream(), s.getOutputStream(), times);
        }
        Arrays.sort(times);
        return times;
    }

    /** Fills {@code times} with 64-byte round trips (ns) to the echo behind {@code in}/{@code out}. */
    private static void roundTrips(InputStream in, OutputStream out, long[] times) throws IOException {
        byte[] msg = new byte[64];
        byte[] back = new byte[64];
        for (int i = 0; i < times.length; i++) {
            long t0 = System.nanoTime();
            out.write(msg);
            if (in.readNBytes(back, 0, 64) < 64) {
                throw new IOException("echo closed");
            }
            times[i] = System.nanoTime() - t0;
        }
    }

    /**
     * Connections/s direct, through the export, through socat's fork forward, through haproxy and
     * through the nio-loop relay: each path warmed up first ({@link #warmUp}: the export's connect
     * path takes seconds to be compiled), then {@link ExternalTools#ROUNDS} interleaved rounds of {@code seconds} / 2
     * each, one client, then as many with {@link #CLIENTS_AT_ONCE} clients at once; a figure is the
     * median of its rounds, a ratio the median of the rounds' ratios. socat
     * forks a process per connection; haproxy (with its defaults, one process) is the reference of
     * a forward made for connection rates.
     */
    private static void connectRounds(int direct, int export, Integer socat, Integer haproxy, long seconds) throws Exception {
        int rounds = ExternalTools.ROUNDS;
        long each = Math.max(1, seconds / 2);
        try (NioRelayLab lab = new NioRelayLab(direct, Runtime.getRuntime().availableProcessors())) {
            List<Integer> ports = java.util.Arrays.asList(direct, export, lab.port(), socat, haproxy);
            // warm-up: the export's connect path is still being compiled after several seconds of connects
            List<String> warmed = new ArrayList<>();
            for (Integer port : ports) {
                warmed.add(port == null ? "-" : Integer.toString(warmUp(port)));
            }
            PathRates one = eachPort(ports, port -> () -> connects(port, each));
            double[] d = one.direct();
            double[] e = one.export();
            double[] n = one.loop();
            double[] s = one.socat();
            double[] h = one.haproxy();
            System.out.printf(Locale.ROOT, "connections/s (connect, 1 B each way, close; %d interleaved rounds of %d s after a warm-up"
                    + " of each path until a 1 s run leaves the JIT compiling under %d ms, s: direct %s, export %s, nio-loop %s, socat %s,"
                    + " haproxy %s):"
                    + " direct %.0f | export %.0f (%.2fx direct) | socat fork %s | nio-loop relay, same pair %.0f"
                    + " (%.2fx direct%s)%n", rounds, each, WARM_COMPILE_PER_MILLE, warmed.get(0), warmed.get(1), warmed.get(2), warmed.get(3),
                    warmed.get(4),
                    ExternalTools.median(d), ExternalTools.median(e), ExternalTools.medianRatio(e, d),
                    s == null ? "-" : String.format(Locale.ROOT, "%.0f (export %.2fx socat)", ExternalTools.median(s),
                            ExternalTools.medianRatio(e, s)),
                    ExternalTools.median(n), ExternalTools.medianRatio(n, d),
                    s == null ? "" : String.format(Locale.ROOT, ", %.2fx socat", ExternalTools.medianRatio(n, s)));
            if (h != null) {
                System.out.printf(Locale.ROOT, "  haproxy %.0f (%.2fx direct%s) | export %.2fx haproxy | nio-loop %.2fx haproxy%n",
                        ExternalTools.median(h), ExternalTools.medianRatio(h, d),
                        s == null ? "" : String.format(Locale.ROOT, ", %.2fx socat", ExternalTools.medianRatio(h, s)),
                        ExternalTools.medianRatio(e, h), ExternalTools.medianRatio(n, h));
            }
            if (s != null) {
                System.out.printf(Locale.ROOT, "  by round: export/socat %s | nio-loop/socat %s%s | connections/s direct %s, export %s,"
                        + " socat fork %s, nio-loop %s%s%n", ExternalTools.rounds(e, s), ExternalTools.rounds(n, s),
                        h == null ? "" : " | export/haproxy " + ExternalTools.rounds(e, h), ExternalTools.list(d, "%.0f"),
                        ExternalTools.list(e, "%.0f"), ExternalTools.list(s, "%.0f"), ExternalTools.list(n, "%.0f"),
                        h == null ? "" : ", haproxy " + ExternalTools.list(h, "%.0f"));
            }
            printCostPerConnection("  ", one);
            // the same with clients at once: no path's threads wait for the next connection between two
            PathRates at = eachPort(ports, port -> () -> connectsAtOnce(port, each, CLIENTS_AT_ONCE));
            System.out.printf(Locale.ROOT, "  %d clients at once: direct %.0f | export %.0f (%.2fx direct%s%s) | socat fork %s | nio-loop %.0f"
                    + " (%.2fx direct) | haproxy %s%n", CLIENTS_AT_ONCE, ExternalTools.median(at.direct()), ExternalTools.median(at.export()),
                    ExternalTools.medianRatio(at.export(), at.direct()),
                    at.socat() == null ? "" : String.format(Locale.ROOT, ", %.2fx socat", ExternalTools.medianRatio(at.export(), at.socat())),
                    at.haproxy() == null ? "" : String.format(Locale.ROOT, ", %.2fx haproxy", ExternalTools.medianRatio(at.export(), at.haproxy())),
                    at.socat() == null ? "-" : String.format(Locale.ROOT, "%.0f", ExternalTools.median(at.socat())),
                    ExternalTools.median(at.loop()), ExternalTools.medianRatio(at.loop(), at.direct()),
                    at.haproxy() == null ? "-" : String.format(Locale.ROOT, "%.0f (%.2fx direct)", ExternalTools.median(at.haproxy()),
                            ExternalTools.medianRatio(at.haproxy(), at.direct())));
            printCostPerConnection("  " + CLIENTS_AT_ONCE + " clients at once: ", at);
        }
    }

    /**
     * What each path adds to a connection over direct, in microseconds (1/rate - 1/direct, the
     * median of the rounds'), and the most any forward can reach against socat's fork forward: a
     * forward that added nothing would be as fast as direct, so direct/socat bounds every path's
     * ratio to socat in this bench, where the client and the echo server share the machine.
     */
    private static void printCostPerConnection(String prefix, PathRates r) {
        StringBuilder line = new StringBuilder(prefix)
                .append("added per connection over direct, us: export ").append(addedUs(r.export(), r.direct()))
                .append(" | nio-loop ").append(addedUs(r.loop(), r.direct()));
        if (r.haproxy() != null) {
            line.append(" | haproxy ").append(addedUs(r.haproxy(), r.direct()));
        }
        if (r.socat() != null) {
            line.append(" | socat fork ").append(addedUs(r.socat(), r.direct()))
                    .append(String.format(Locale.ROOT, "; a forward that added nothing would reach %.2fx socat fork (direct/socat)",
                            ExternalTools.medianRatio(r.direct(), r.socat())));
        }
        System.out.println(line);
    }

    /** The median over rounds of 1/path - 1/direct, in microseconds per connection. */
    private static String addedUs(double[] path, double[] direct) {
        double[] added = new double[path.length];
        for (int i = 0; i < path.length; i++) {
            added[i] = 1e6 / path[i] - 1e6 / direct[i];
        }
        return String.format(Locale.ROOT, "%.0f", ExternalTools.median(added));
    }

    /** Each path's figures by round; null for a path not installed. */
    private record PathRates(double[] direct, double[] export, double[] loop, double[] socat, double[] haproxy) {
    }

    /**
     * {@link ExternalTools#interleaved} rounds of {@code run} on each of the ports direct, export,
     * nio-loop, socat and haproxy (none where the port is null).
     */
    private static PathRates eachPort(List<Integer> ports, java.util.function.IntFunction<ExternalTools.Run> run) throws Exception {
        double[][] r = ExternalTools.interleaved(ports.stream().map(port -> port == null ? null : run.apply(port)).toList());
        return new PathRates(r[0], r[1], r[2], r[3], r[4]);
    }

    /** A path counts as warm once the JIT compiled for less than this share of a 1 s run of connects (per mille). */
    private static final int WARM_COMPILE_PER_MILLE = 20;
    /** The longest warm-up of one path, in 1 s runs. */
    private static final int WARM_MAX_RUNS = 20;

    /**
     * Connects to {@code port} in runs of 1 s until the JIT has compiled for less than
     * {@link #WARM_COMPILE_PER_MILLE} per mille of a run (the runtime shares this JVM: the export's
     * connect path takes several seconds of compiling on 2 busy cores), at least 2 runs, at most
     * {@link #WARM_MAX_RUNS}.
     *
     * @return the runs taken (seconds)
     */
    static int warmUp(int port) throws IOException {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        int runs = 0;
        while (runs < WARM_MAX_RUNS) {
            long compiledMs = jit.getTotalCompilationTime();
            connects(port, 1);
            runs++;
            if (runs >= 2 && jit.getTotalCompilationTime() - compiledMs < WARM_COMPILE_PER_MILLE) {
                break;
            }
        }
        return runs;
    }

    /** How many clients connect at once in connections/s' second measurement. */
    private static final int CLIENTS_AT_ONCE = 8;

    /** Connections per second of {@code clients} clients at once, each as {@link #connects}. */
    static double connectsAtOnce(int port, long seconds, int clients) throws Exception {
        List<java.util.concurrent.Future<Double>> each = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            each.add(THREADS.submit(() -> connects(port, seconds)));
        }
        double sum = 0;
        for (java.util.concurrent.Future<Double> f : each) {
            sum += f.get();
        }
        return sum;
    }

    /** Connections per second, each: connect, 1 byte out, 1 byte back, close. */
    static double connects(int port, long seconds) throws IOException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long t0 = System.nanoTime();
        int n = 0;
        while (System.nanoTime() < end && n < 1_000_000) {
            try (Socket s = new Socket(LOOPBACK, port)) {
                s.getOutputStream().write(1);
                if (s.getInputStream().read() != 1) {
                    throw new IOException("no echo");
                }
            }
            n++;
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private static String us(long[] sorted) {
        return String.format(Locale.ROOT, "%.1f/%.1f", pct(sorted, 50) / 1e3, pct(sorted, 99) / 1e3);
    }

    private static String added(long[] path, long[] direct) {
        return String.format(Locale.ROOT, "%.1f/%.1f", (pct(path, 50) - pct(direct, 50)) / 1e3, (pct(path, 99) - pct(direct, 99)) / 1e3);
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
    }

    static boolean socatInstalled() {
        return answers("socat", "-V");
    }

    /** Whether {@code command} runs and exits 0 (a tool asked for its version: whether it is installed). */
    static boolean answers(String... command) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static Process socat(int listen, int target) throws IOException {
        return new ProcessBuilder("socat", "-b262144", "TCP-LISTEN:" + listen + ",bind=127.0.0.1,reuseaddr,fork",
                "TCP:127.0.0.1:" + target).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static boolean haproxyInstalled() {
        return answers("haproxy", "-v");
    }

    /** haproxy in the foreground, a plain TCP forward with haproxy's defaults (its configuration file in {@code dir}). */
    static Process haproxy(int listen, int target, Path dir) throws IOException {
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "defaults",
                "    mode tcp",
                "    timeout connect 5s",
                "    timeout client 60s",
                "    timeout server 60s",
                "listen forward",
                "    bind 127.0.0.1:" + listen,
                "    server target 127.0.0.1:" + target,
                ""));
        return new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    static void awaitListening(int port) throws Exception {
        awaitProbe("nothing listens on 127.0.0.1:" + port, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(LOOPBACK, port), 500);
            }
        });
    }

    /** One attempt to reach what a path needs; it fails with an IOException while that is not there yet. */
    @FunctionalInterface
    interface Probe {
        void attempt() throws Exception;
    }

    /** Repeats {@code probe} every 50 ms until it succeeds, for 15 s at most; then fails saying {@code failure}. */
    static void awaitProbe(String failure, Probe probe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                probe.attempt();
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(failure + " after 15 s", e);
                }
                Thread.sleep(50);
            }
        }
    }

    static double unixThroughput(Path path, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(256 * 1024);
        long t0 = System.nanoTime();
        try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            for (long sent = 0; sent < bytes; sent += chunk.capacity()) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    s.write(chunk);
                }
            }
            s.shutdownOutput();
            long got = Long.parseLong(new String(Channels.newInputStream(s).readAllBytes()).trim());
            if (got != bytes) {
                throw new IOException("sink counted " + got + " of " + bytes + " bytes");
            }
        }
        return bytes / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
    }

    static long[] unixLatency(Path path, int count) throws IOException {
        long[] times = new long[count];
        try (SocketChannel s = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            roundTrips(Channels.newInputStream(s), Channels.newOutputStream(s), times);
        }
        Arrays.sort(times);
        return times;
    }

    /**
     * Request/response datagrams direct, through the UDP export, through socat's UDP forward (a
     * child per client address, as {@code fork} makes it) and through {@link UdpRelayLab} (both
     * sockets on one selector loop): each path warmed up for 1 s, then {@link ExternalTools#ROUNDS}
     * interleaved rounds of {@code seconds} / 2; a figure is the median of its rounds, a ratio the
     * median of the rounds' ratios.
     */
    private static void datagramRounds(int direct, int export, long seconds) throws Exception {
        int rounds = ExternalTools.ROUNDS;
        long each = Math.max(1, seconds / 2);
        Process socat = null;
        try (UdpRelayLab lab = new UdpRelayLab(direct)) {
            Integer socatPort = null;
            if (socatInstalled()) {
                socatPort = freePort();
                socat = new ProcessBuilder("socat", "-T", "10", "UDP4-LISTEN:" + socatPort + ",bind=127.0.0.1,reuseaddr,fork",
                        "UDP4:127.0.0.1:" + direct).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                awaitUdp(socatPort);
            }
            List<Integer> ports = Arrays.asList(direct, export, socatPort, lab.port());
            String[] names = {"direct", "export", "socat UDP forward", "nio-loop relay, same pair"};
            for (Integer port : ports) {
                if (port != null) {
                    datagrams(port, 1);
                }
            }
            List<List<Datagrams>> runs = ExternalTools.interleavedRuns(ports.stream()
                    .map(port -> port == null ? null : (java.util.concurrent.Callable<Datagrams>) () -> datagrams(port, each)).toList());
            double[][] rate = new double[ports.size()][];
            double[][] p50 = new double[ports.size()][];
            double[][] p99 = new double[ports.size()][];
            for (int p = 0; p < ports.size(); p++) {
                if (runs.get(p) != null) {
                    rate[p] = runs.get(p).stream().mapToDouble(Datagrams::perSecond).toArray();
                    p50[p] = runs.get(p).stream().mapToDouble(Datagrams::p50).toArray();
                    p99[p] = runs.get(p).stream().mapToDouble(Datagrams::p99).toArray();
                }
            }
            StringBuilder rates = new StringBuilder();
            StringBuilder times = new StringBuilder();
            StringBuilder lost = new StringBuilder();
            for (int p = 0; p < ports.size(); p++) {
                if (ports.get(p) == null) {
                    continue;
                }
                List<Datagrams> d = runs.get(p);
                String sep = rates.length() == 0 ? "" : " | ";
                rates.append(sep).append(names[p]).append(String.format(Locale.ROOT, " %.0f", ExternalTools.median(rate[p])));
                if (p > 0) {
                    rates.append(String.format(Locale.ROOT, " (%.2fx direct%s)", ExternalTools.medianRatio(rate[p], rate[0]),
                            p != 2 && rate[2] != null ? String.format(Locale.ROOT, ", %.2fx socat", ExternalTools.medianRatio(rate[p], rate[2])) : ""));
                }
                times.append(sep).append(names[p].split(" ")[0]).append(String.format(Locale.ROOT, " %.1f/%.1f",
                        ExternalTools.median(p50[p]), ExternalTools.median(p99[p])));
                lost.append(lost.length() == 0 ? "" : ", ").append(names[p].split(" ")[0]).append(' ')
                        .append(d.stream().mapToLong(Datagrams::lost).sum());
            }
            System.out.printf(Locale.ROOT, "udp 512 B request/response per s, one in flight (%d interleaved rounds of %d s after 1 s of"
                    + " warm-up each): %s%n", rounds, each, rates);
            System.out.printf(Locale.ROOT, "  round trip us p50/p99: %s; lost (100 ms without an answer): %s%n", times, lost);
            if (rate[2] != null) {
                double directP50 = ExternalTools.median(p50[0]);
                double socatAdded = ExternalTools.median(p50[2]) - directP50;
                System.out.printf(Locale.ROOT, "  added p50 us: export %.1f, socat %.1f, nio-loop %.1f (export-added/socat-added %.2fx) |"
                        + " by round: export/socat %s, nio-loop/socat %s%n",
                        ExternalTools.median(p50[1]) - directP50, socatAdded, ExternalTools.median(p50[3]) - directP50,
                        (ExternalTools.median(p50[1]) - directP50) / socatAdded,
                        ExternalTools.rounds(rate[1], rate[2]), ExternalTools.rounds(rate[3], rate[2]));
            }
        } finally {
            if (socat != null) {
                socat.destroy();
            }
        }
    }

    /** One path's run of request/response datagrams: answered per second, lost, and round trips' p50/p99 in us. */
    record Datagrams(double perSecond, long lost, double p50, double p99) {}

    /** 512-byte datagrams sent one at a time, each awaited (100 ms, then counted lost). */
    static Datagrams datagrams(int port, long seconds) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            s.setSoTimeout(100);
            byte[] msg = new byte[512];
            byte[] buf = new byte[2048];
            long[] times = new long[2_000_000];
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long t0 = System.nanoTime();
            int ok = 0;
            int lost = 0;
            while (System.nanoTime() < end && ok + lost < times.length) {
                long sent = System.nanoTime();
                s.send(new DatagramPacket(msg, msg.length, LOOPBACK, port));
                try {
                    s.receive(new DatagramPacket(buf, buf.length));
                    times[ok++] = System.nanoTime() - sent;
                } catch (java.net.SocketTimeoutException e) {
                    lost++;
                }
            }
            double perSecond = ok / ((System.nanoTime() - t0) / 1e9);
            long[] sorted = Arrays.copyOf(times, ok);
            Arrays.sort(sorted);
            return ok == 0 ? new Datagrams(0, lost, Double.NaN, Double.NaN)
                    : new Datagrams(perSecond, lost, pct(sorted, 50) / 1e3, pct(sorted, 99) / 1e3);
        }
    }

    static Process socatUnix(Path listen, Path target) throws IOException {
        return new ProcessBuilder("socat", "-b262144", "UNIX-LISTEN:" + listen + ",fork", "UNIX-CONNECT:" + target)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static void awaitUnix(Path path) throws Exception {
        awaitProbe("nothing listens on " + path, () -> SocketChannel.open(UnixDomainSocketAddress.of(path)).close());
    }

    private static void awaitUdp(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            s.setSoTimeout(200);
            while (true) {
                s.send(new DatagramPacket(new byte[1], 1, LOOPBACK, port));
                try {
                    s.receive(new DatagramPacket(new byte[16], 16));
                    return;
                } catch (java.net.SocketTimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("no UDP echo through 127.0.0.1:" + port + " after 15 s");
                    }
                }
            }
        }
    }

    /** Serves a Unix socket path with the same logic as a TCP server. */
    private static final class UnixServer implements AutoCloseable {
        private final ServerSocketChannel server;

        UnixServer(Path path, Server logic) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            THREADS.execute(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel s = server.accept();
                        THREADS.execute(() -> {
                            try (s) {
                                logic.serve(Channels.newInputStream(s), Channels.newOutputStream(s));
                            } catch (IOException e) {
                                // the client went away
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A UDP echo on loopback. */
    private static final class UdpEcho implements AutoCloseable {
        private final DatagramSocket socket;

        UdpEcho() throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
            THREADS.execute(() -> {
                byte[] buf = new byte[65_536];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        socket.receive(p);
                        socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /** Reads each connection to EOF, answers with the byte count, closes. */
    static final class Sink extends Server {
        Sink() throws IOException {
        }

        @Override
        void serve(InputStream in, OutputStream out) throws IOException {
            byte[] buf = new byte[256 * 1024];
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
            }
            out.write(Long.toString(total).getBytes());
        }
    }

    /** Echoes each connection until EOF. */
    static final class Echo extends Server {
        Echo() throws IOException {
        }

        @Override
        void serve(InputStream in, OutputStream out) throws IOException {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        }
    }

    abstract static class Server implements AutoCloseable {
        private final ServerSocket server;

        Server() throws IOException {
            server = new ServerSocket(0, 1024, LOOPBACK);
            THREADS.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        THREADS.execute(() -> {
                            try (s) {
                                s.setTcpNoDelay(true);
                                serve(s.getInputStream(), s.getOutputStream());
                            } catch (IOException e) {
                                // the client went away
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        abstract void serve(InputStream in, OutputStream out) throws IOException;

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
