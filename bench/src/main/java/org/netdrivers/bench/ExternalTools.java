package org.netdrivers.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bench's measurements with external tools, each through the export, directly, and through
 * {@code socat -b262144}: iperf3 bulk TCP (1 and 4 streams) and sockperf 64-byte TCP ping-pong,
 * alone and beside an iperf3 transfer, sockperf ping-pong through a Unix export where the installed sockperf can use Unix sockets, and
 * bulk through a Unix export with socat as the writer and the sink (the bench's own clients are
 * in the runtime's JVM; these are not).
 *
 * <p>{@link #prepare} starts the servers ({@code iperf3 -s}, {@code sockperf sr}) and writes their
 * drivers' .cfg files; call it before the runtime starts, so that FileInstall picks the files up at
 * start. {@link #run} measures, once the runtime runs. {@link #close} (and, should the JVM end
 * otherwise, a shutdown hook) stops every process started here. Loopback and the bench's own Unix
 * sockets only; every client run is bounded in time.
 */
final class ExternalTools implements AutoCloseable {
    /** A client may take this much longer than its -t before it is stopped and counted failed. */
    private static final long CLIENT_GRACE_SECONDS = 30;
    /** Attempts of one iperf3 client run: a run can meet the server still busy with a readiness probe. */
    private static final int IPERF_ATTEMPTS = 3;
    /**
     * Interleaved rounds of every measurement (direct, export, socat, nio-loop relay, then again):
     * a figure is the median of its rounds, a ratio the median of the rounds' ratios, since the
     * machine's load moves between runs and runs next to each other move together.
     */
    static final int ROUNDS = 3;
    private static final Pattern SOCKPERF_VERSION = Pattern.compile("version\\s+#?([0-9][0-9.]*)");
    private static final Pattern IPERF_VERSION = Pattern.compile("iperf\\s+([0-9][0-9.]*)");
    private static final Pattern P50 = Pattern.compile("percentile\\s+50\\.000\\s*=\\s*([0-9]+(?:\\.[0-9]+)?)");
    private static final Pattern P99 = Pattern.compile("percentile\\s+99\\.000\\s*=\\s*([0-9]+(?:\\.[0-9]+)?)");
    private static final Pattern BITS = Pattern.compile("\"bits_per_second\"\\s*:\\s*([0-9.eE+-]+)");
    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]*)\"");

    private final List<Process> children = Collections.synchronizedList(new ArrayList<>());
    private final Thread cleanup = new Thread(this::stopAll, "bench-external-tools-cleanup");
    private final Path sockets;
    private final Path work;
    private final int seconds;

    private String iperfVersion; // null: iperf3 is not installed
    private int iperfPort;
    private int iperfExport;

    private String sockperfVersion; // null: sockperf is not installed
    private int sockperfPort;
    private int sockperfExport;
    private boolean sockperfUnix;
    private Path sockperfSocket;
    private Path sockperfSocketExport;

    private final List<String> retries = new ArrayList<>();
    private boolean closed;

    private boolean socatUnix; // socat is installed: the Unix bulk section runs
    private Path unixSink;
    private Path unixSinkExport;
    private long unixBulkBytes;

    private ExternalTools(Path sockets, int seconds) throws IOException {
        this.sockets = sockets;
        this.seconds = seconds;
        this.work = Files.createTempDirectory("nd-bench-tools");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Starts the servers of the installed tools and writes, into {@code etc}, a TCP driver with a
     * TCP export for each and, where sockperf can use Unix sockets, a Unix driver with a Unix export.
     */
    static ExternalTools prepare(Path etc, Path sockets, boolean quick) throws Exception {
        ExternalTools tools = new ExternalTools(sockets, quick ? 2 : 5);
        try {
            tools.prepareIperf(etc);
            tools.prepareSockperf(etc);
            tools.prepareSocatUnix(etc, quick);
            return tools;
        } catch (Exception | Error e) {
            tools.close();
            throw e;
        }
    }

    private void prepareIperf(Path etc) throws Exception {
        iperfVersion = versionOf(IPERF_VERSION, "iperf3", "--version");
        if (iperfVersion != null) {
            int[] ports = serveThroughTcpDriver(etc, "iperf", "iperf3", "-s", "-B", "127.0.0.1", "-p", PORT);
            iperfPort = ports[0];
            iperfExport = ports[1];
        }
    }

    private void prepareSockperf(Path etc) throws Exception {
        sockperfVersion = versionOf(SOCKPERF_VERSION, "sockperf", "--version");
        if (sockperfVersion == null) {
            return;
        }
        int[] ports = serveThroughTcpDriver(etc, "sockperf", "sockperf", "sr", "--tcp", "-i", "127.0.0.1", "-p", PORT);
        sockperfPort = ports[0];
        sockperfExport = ports[1];
        // sockperf takes a Unix socket as "-i /absolute/path" since 3.9; its help then says "UNIX domain socket"
        Result help = run(List.of("sockperf", "sr", "--help"), 10);
        sockperfUnix = help.output.toLowerCase(Locale.ROOT).contains("unix domain socket");
        if (sockperfUnix) {
            sockperfSocket = sockets.resolve("sockperf.sock");
            sockperfSocketExport = sockets.resolve("sockperf-export.sock");
            server("sockperf", "sr", "--tcp", "-i", sockperfSocket.toString());
            Files.writeString(etc.resolve("org.netdrivers.unix-sockperf.cfg"), "network.name = usockperf\npath = " + sockperfSocket
                    + "\nnetwork.export = unix:" + sockperfSocketExport + "\n");
        }
    }

    /** A socat sink on a Unix socket (everything it reads goes to /dev/null), and a Unix driver to it with a Unix export. */
    private void prepareSocatUnix(Path etc, boolean quick) throws Exception {
        socatUnix = Bench.socatInstalled();
        if (!socatUnix) {
            return;
        }
        unixBulkBytes = (quick ? 4L : 8L) << 30;
        unixSink = sockets.resolve("tool-sink.sock");
        unixSinkExport = sockets.resolve("tool-sink-export.sock");
        server("socat", "-u", "-b262144", "UNIX-LISTEN:" + unixSink + ",fork", "OPEN:/dev/null");
        Files.writeString(etc.resolve("org.netdrivers.unix-socatsink.cfg"), "network.name = usocatsink\npath = " + unixSink
                + "\nnetwork.export = unix:" + unixSinkExport + "\n");
    }

    /** Measures and prints; false when a section failed (its failure is printed, the other sections still run). */
    boolean run(boolean socat) {
        System.out.printf(Locale.ROOT, "external tools: iperf3 %s, sockperf %s, %d s per client run, %d interleaved rounds"
                + " (a figure is the median of its rounds, a ratio the median of the rounds' ratios)%n",
                iperfVersion == null ? "-" : iperfVersion, sockperfVersion == null ? "-" : sockperfVersion, seconds, ROUNDS);
        boolean ok = true;
        if (iperfVersion == null) {
            System.out.println("iperf3 is not installed: the iperf3 bulk TCP part is left out (apt-get install iperf3)");
        } else {
            ok &= section("iperf3 bulk TCP", () -> iperfSection(socat));
        }
        if (sockperfVersion == null) {
            System.out.println("sockperf is not installed: the sockperf TCP and Unix ping-pong parts are left out (apt-get install sockperf)");
        } else {
            ok &= section("sockperf TCP ping-pong", () -> sockperfTcpSection(socat));
            if (iperfVersion != null) {
                ok &= section("sockperf TCP ping-pong beside iperf3", () -> besideBulkSection(socat));
            }
            if (sockperfUnix) {
                ok &= section("sockperf Unix ping-pong", () -> sockperfUnixSection(socat));
            } else {
                System.out.println("sockperf " + sockperfVersion + " cannot use Unix sockets (3.9 and later can, as -i /path):"
                        + " the Unix ping-pong is left out; the in-JVM Unix figures above stand");
            }
        }
        if (socatUnix) {
            ok &= section("socat Unix bulk", this::unixBulkSection);
        } else {
            System.out.println("socat is not installed: the Unix bulk part with socat as writer and sink is left out (apt-get install socat)");
        }
        if (!retries.isEmpty()) {
            System.out.println("iperf3 runs retried after an error: " + String.join("; ", retries));
        }
        return ok;
    }

    private interface Section {
        void run() throws Exception;
    }

    private static boolean section(String name, Section s) {
        try {
            s.run();
            return true;
        } catch (Exception e) {
            System.out.println(name + " failed: " + e.getMessage());
            return false;
        }
    }

    /** @return the port of a new {@code socat -b262144} forward to loopback {@code port}, listening; null without {@code socat} */
    private Integer socatForward(boolean socat, int port) throws Exception {
        if (!socat) {
            return null;
        }
        int via = Bench.freePort();
        started(Bench.socat(via, port));
        Bench.awaitListening(via);
        return via;
    }

    private void iperfSection(boolean socat) throws Exception {
        Bench.awaitListening(iperfPort);
        settle(); // iperf3 closes and opens its listener again after each connection, this probe's too
        Bench.awaitListening(iperfExport);
        Integer viaSocat = socatForward(socat, iperfPort);
        settle();
        iperf("warm-up export", iperfExport, 1, 1);
        try (NioRelayLab lab = new NioRelayLab(iperfPort, Runtime.getRuntime().availableProcessors())) {
            iperf("warm-up nio relay", lab.port(), 1, 1);
            for (int streams : new int[] {1, 4}) {
                Integer socatPort = viaSocat;
                double[][] rounds = interleaved(java.util.Arrays.asList(() -> iperf("direct", iperfPort, streams, seconds),
                        () -> iperf("export", iperfExport, streams, seconds),
                        socatPort == null ? null : () -> iperf("socat", socatPort, streams, seconds),
                        () -> iperf("nio relay", lab.port(), streams, seconds)));
                double[] direct = rounds[0];
                double[] export = rounds[1];
                double[] s = rounds[2];
                double[] nio = rounds[3];
                System.out.printf(Locale.ROOT, "iperf3 TCP Gbit/s, %d stream%s: direct %.2f | export (Mina relay) %.2f (%.2fx direct) | socat %s"
                        + " | nio-loop relay, same pair %.2f (%.2fx direct%s)%n",
                        streams, streams == 1 ? "" : "s", median(direct), median(export), medianRatio(export, direct),
                        s == null ? "-" : String.format(Locale.ROOT, "%.2f (export %.2fx socat)", median(s), medianRatio(export, s)),
                        median(nio), medianRatio(nio, direct), s == null ? "" : String.format(Locale.ROOT, ", %.2fx socat", medianRatio(nio, s)));
                if (s != null) {
                    System.out.printf(Locale.ROOT, "  by round: export/socat %s | nio-loop/socat %s%n", rounds(export, s), rounds(nio, s));
                }
            }
            System.out.println("nio-loop relay (the io bundle's channel relay outside the runtime, for comparison): " + lab.counts());
        }
    }

    /**
     * Unix bulk as a user would measure it: {@code socat} writes {@link #unixBulkBytes} from
     * /dev/zero in 256 KiB reads into a socat sink, directly, through the Unix export of a Unix
     * driver, and through a {@code socat -b262144} Unix forward, in interleaved rounds. A run's time
     * is the writer's, from its start to its exit (what the relays still hold then, at most a few
     * MiB, is not waited for).
     */
    private void unixBulkSection() throws Exception {
        Bench.awaitUnix(unixSink);
        Bench.awaitUnix(unixSinkExport);
        Path viaSocat = sockets.resolve("tool-sink-forward.sock");
        started(Bench.socatUnix(viaSocat, unixSink));
        Bench.awaitUnix(viaSocat);
        unixWrite(unixSinkExport, unixBulkBytes / 4); // warm-up
        double[][] rounds = interleaved(List.of(() -> unixWrite(unixSink, unixBulkBytes),
                () -> unixWrite(unixSinkExport, unixBulkBytes), () -> unixWrite(viaSocat, unixBulkBytes)));
        double[] direct = rounds[0];
        double[] export = rounds[1];
        double[] socat = rounds[2];
        System.out.printf(Locale.ROOT, "unix bulk MiB/s, socat writer into a socat sink, %d MiB in 256 KiB reads: direct %.0f | export %.0f"
                + " (%.2fx direct) | socat forward %.0f (export %.2fx socat)%n", unixBulkBytes >> 20, median(direct), median(export),
                medianRatio(export, direct), median(socat), medianRatio(export, socat));
        System.out.printf(Locale.ROOT, "  by round: export/socat %s%n", rounds(export, socat));
    }

    /** MiB/s of one {@code socat} writer of {@code bytes} zeros into the Unix socket {@code path}. */
    private double unixWrite(Path path, long bytes) throws Exception {
        long t0 = System.nanoTime();
        Result r = run(List.of("socat", "-u", "-b262144", "OPEN:/dev/zero,readbytes=" + bytes, "UNIX-CONNECT:" + path),
                CLIENT_GRACE_SECONDS + 30);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (r.exit != 0) {
            throw new IOException("socat writer into " + path + ": exit status " + r.exit + ": " + r.output.strip());
        }
        return bytes / secs / (1 << 20);
    }

    /** One run of one path of a measurement: its figure. */
    @FunctionalInterface
    interface Run {
        double measure() throws Exception;
    }

    /**
     * {@link #ROUNDS} interleaved rounds: each path once per round, in the order given.
     *
     * @param paths the runs of each path; a null one is left out (its row null)
     * @return per path, per round, its figure
     */
    static double[][] interleaved(List<Run> paths) throws Exception {
        List<List<Double>> rounds = interleavedRuns(paths.stream()
                .map(run -> run == null ? null : (java.util.concurrent.Callable<Double>) run::measure).toList());
        double[][] figures = new double[paths.size()][];
        for (int p = 0; p < figures.length; p++) {
            figures[p] = rounds.get(p) == null ? null : rounds.get(p).stream().mapToDouble(Double::doubleValue).toArray();
        }
        return figures;
    }

    /**
     * {@link #ROUNDS} interleaved rounds of runs that give more than one figure (a latency's p50
     * and p99, a rate and its losses): each path once per round, in the order given.
     *
     * @param paths the runs of each path; a null one is left out (its row null)
     * @return per path, its runs' results in round order
     */
    static <T> List<List<T>> interleavedRuns(List<java.util.concurrent.Callable<T>> paths) throws Exception {
        List<List<T>> rounds = new ArrayList<>();
        for (java.util.concurrent.Callable<T> path : paths) {
            rounds.add(path == null ? null : new ArrayList<>());
        }
        for (int r = 0; r < ROUNDS; r++) {
            for (int p = 0; p < paths.size(); p++) {
                if (paths.get(p) != null) {
                    rounds.get(p).add(paths.get(p).call());
                }
            }
        }
        return rounds;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The median of the rounds' ratios a[r]/b[r]: runs of one round are next to each other in time. */
    static double medianRatio(double[] a, double[] b) {
        return median(ratios(a, b));
    }

    /** The rounds' ratios a[r]/b[r], in order. */
    static String rounds(double[] a, double[] b) {
        return list(ratios(a, b), "%.2f");
    }

    private static double[] ratios(double[] a, double[] b) {
        double[] ratios = new double[a.length];
        for (int r = 0; r < a.length; r++) {
            ratios[r] = a[r] / b[r];
        }
        return ratios;
    }

    /** The values in {@code format}, separated by spaces. */
    static String list(double[] values, String format) {
        StringBuilder out = new StringBuilder();
        for (double v : values) {
            out.append(out.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, format, v));
        }
        return out.toString();
    }

    /**
     * Lets iperf3's server listen again after a probe: it takes each connection as a test, and
     * between tests its port refuses connections for a moment. A connect through an export in
     * that moment fails its driver's connect, which the export reports (WARN).
     */
    private static void settle() throws InterruptedException {
        Thread.sleep(200);
    }

    /** Gbit/s received ({@code end.sum_received.bits_per_second}) of one iperf3 client run to 127.0.0.1:port. */
    private double iperf(String what, int port, int streams, int secs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("iperf3", "-c", "127.0.0.1", "-p", Integer.toString(port),
                "-t", Integer.toString(secs), "-J", "--connect-timeout", "5000"));
        if (streams > 1) {
            cmd.addAll(List.of("-P", Integer.toString(streams)));
        }
        for (int attempt = 1; ; attempt++) {
            Result r = run(cmd, secs + CLIENT_GRACE_SECONDS);
            Matcher error = ERROR.matcher(r.output);
            String failure = error.find() ? error.group(1) : r.exit != 0 ? "exit status " + r.exit : null;
            if (failure == null) {
                int end = r.output.lastIndexOf("\"sum_received\"");
                Matcher bits = BITS.matcher(r.output);
                if (end >= 0 && bits.find(end)) {
                    return Double.parseDouble(bits.group(1)) / 1e9;
                }
                failure = "no end.sum_received.bits_per_second in its output";
            }
            if (attempt >= IPERF_ATTEMPTS) {
                throw new IOException("iperf3 " + what + " (port " + port + ", " + streams + " streams): " + failure);
            }
            retries.add(what + " " + streams + "x: " + failure);
            Thread.sleep(1000);
        }
    }

    private void sockperfTcpSection(boolean socat) throws Exception {
        Bench.awaitListening(sockperfPort);
        Bench.awaitListening(sockperfExport);
        Integer viaSocat = socatForward(socat, sockperfPort);
        pingPong(tcp(sockperfExport), 1); // warm-up
        try (NioRelayLab lab = new NioRelayLab(sockperfPort, Runtime.getRuntime().availableProcessors())) {
            pingPong(tcp(lab.port()), 1); // warm-up
            double[][][] rounds = pingPongRounds(java.util.Arrays.asList(tcp(sockperfPort), tcp(sockperfExport),
                    viaSocat == null ? null : tcp(viaSocat), tcp(lab.port())));
            printLatency("sockperf TCP", rounds[0], rounds[1], rounds[2]);
            double[] nioMedian = medians(rounds[3]);
            double[] directMedian = medians(rounds[0]);
            System.out.printf(Locale.ROOT, "sockperf TCP through the nio-loop relay, same pair, us p50/p99: %s (added %s)%n",
                    us(nioMedian), us(new double[] {nioMedian[0] - directMedian[0], nioMedian[1] - directMedian[1]}));
        }
    }

    /**
     * Round trips beside a bulk transfer, as on a runtime that serves many benches: while iperf3
     * sends through one path (direct, a TCP export, a socat forward), two sockperf ping-pongs run
     * one after the other through the same kind of path, each on a connection of its own opened
     * during the transfer; of the two, the one with the higher p50 counts. Through the runtime, a
     * connection placed on the processor that the transfer keeps busy waits behind its reads and
     * writes; placed in turn, one of two connections in a row would be there on two processors.
     */
    private void besideBulkSection(boolean socat) throws Exception {
        Bench.awaitListening(iperfPort);
        settle();
        Integer viaIperf = socatForward(socat, iperfPort);
        Integer viaSockperf = socatForward(socat, sockperfPort);
        int pingSeconds = Math.max(2, seconds / 2);
        java.util.concurrent.ExecutorService bulk = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-beside-bulk");
            t.setDaemon(true);
            return t;
        });
        try {
            List<java.util.concurrent.Callable<double[]>> paths = java.util.Arrays.asList(
                    () -> besideBulk(bulk, iperfPort, sockperfPort, pingSeconds),
                    () -> besideBulk(bulk, iperfExport, sockperfExport, pingSeconds),
                    viaIperf == null ? null : () -> besideBulk(bulk, viaIperf, viaSockperf, pingSeconds));
            List<List<double[]>> runs = interleavedRuns(paths);
            double[][][] rounds = runs.stream().map(r -> r == null ? null : r.toArray(new double[0][])).toArray(double[][][]::new);
            printLatency("sockperf TCP beside an iperf3 transfer (the worse of two connections)", rounds[0], rounds[1], rounds[2]);
        } finally {
            bulk.shutdownNow();
        }
    }

    /**
     * {@code sockperf ping-pong -t N} takes this much longer than N seconds: it waits before it
     * measures and after (4.2 s in all for {@code -t 2}, sockperf 3.7 and 3.10 alike).
     */
    private static final int SOCKPERF_EXTRA_SECONDS = 3;

    /**
     * {p50, p99} of the worse (by p50) of two ping-pongs to {@code pingPort} while iperf3 sends to
     * {@code bulkPort}. The transfer outlasts both; one that ended first fails the run, since the
     * rest of that ping-pong would have measured an idle machine.
     */
    private double[] besideBulk(java.util.concurrent.ExecutorService bulk, int bulkPort, int pingPort, int pingSeconds) throws Exception {
        int transferSeconds = 2 * (pingSeconds + SOCKPERF_EXTRA_SECONDS) + 2;
        java.util.concurrent.Future<Double> transfer = bulk.submit(() -> iperf("beside", bulkPort, 1, transferSeconds));
        Thread.sleep(1000); // the transfer under way
        double[] first = pingPong(tcp(pingPort), pingSeconds);
        double[] second = pingPong(tcp(pingPort), pingSeconds);
        if (transfer.isDone()) {
            throw new IOException("the " + transferSeconds + " s iperf3 transfer to port " + bulkPort
                    + " ended before the second ping-pong did: the ping-pongs took longer than " + (transferSeconds - 1) + " s");
        }
        transfer.get(transferSeconds + CLIENT_GRACE_SECONDS + 10L, TimeUnit.SECONDS);
        settle();
        return first[0] >= second[0] ? first : second;
    }

    /**
     * {@link #ROUNDS} interleaved rounds of ping-pong, each address once per round.
     *
     * @param addresses sockperf's address options per path; a null one is left out (its rounds null)
     * @return per address, per round, {p50, p99}
     */
    private double[][][] pingPongRounds(List<List<String>> addresses) throws Exception {
        List<List<double[]>> rounds = interleavedRuns(addresses.stream()
                .map(a -> a == null ? null : (java.util.concurrent.Callable<double[]>) () -> pingPong(a, seconds)).toList());
        return rounds.stream().map(runs -> runs == null ? null : runs.toArray(new double[0][])).toArray(double[][][]::new);
    }

    /** {median p50, median p99} of the rounds. */
    private static double[] medians(double[][] rounds) {
        double[] p50 = new double[rounds.length];
        double[] p99 = new double[rounds.length];
        for (int r = 0; r < rounds.length; r++) {
            p50[r] = rounds[r][0];
            p99[r] = rounds[r][1];
        }
        return new double[] {median(p50), median(p99)};
    }

    private void sockperfUnixSection(boolean socat) throws Exception {
        Bench.awaitUnix(sockperfSocket);
        Bench.awaitUnix(sockperfSocketExport);
        Path viaSocat = null;
        if (socat) {
            viaSocat = sockets.resolve("socat-sockperf.sock");
            started(Bench.socatUnix(viaSocat, sockperfSocket));
            Bench.awaitUnix(viaSocat);
        }
        pingPong(List.of("-i", sockperfSocketExport.toString()), 1); // warm-up
        double[][][] rounds = pingPongRounds(java.util.Arrays.asList(List.of("-i", sockperfSocket.toString()),
                List.of("-i", sockperfSocketExport.toString()), viaSocat == null ? null : List.of("-i", viaSocat.toString())));
        printLatency("sockperf unix", rounds[0], rounds[1], rounds[2]);
    }

    private static List<String> tcp(int port) {
        return List.of("-i", "127.0.0.1", "-p", Integer.toString(port));
    }

    /** Medians of the rounds, and the added latency's ratio as the median of the rounds' ratios. */
    private static void printLatency(String what, double[][] directRounds, double[][] exportRounds, double[][] socatRounds) {
        double[] direct = medians(directRounds);
        double[] export = medians(exportRounds);
        double[] socat = socatRounds == null ? null : medians(socatRounds);
        System.out.printf(Locale.ROOT, "%s ping-pong 64 B, one-way latency (RTT/2) us p50/p99: direct %s | export %s | socat %s%n",
                what, us(direct), us(export), socat == null ? "-" : us(socat));
        double[] eAdded = {export[0] - direct[0], export[1] - direct[1]};
        String socatAdded = "-";
        if (socat != null) {
            double[] sAdded = {socat[0] - direct[0], socat[1] - direct[1]};
            double[][] byRound = new double[2][ROUNDS];
            boolean[] meaningful = {true, true};
            for (int r = 0; r < ROUNDS; r++) {
                for (int p = 0; p < 2; p++) {
                    double e = exportRounds[r][p] - directRounds[r][p];
                    double so = socatRounds[r][p] - directRounds[r][p];
                    meaningful[p] &= so >= 0.05;
                    byRound[p][r] = e / so;
                }
            }
            socatAdded = String.format(Locale.ROOT, "%s (export-added/socat-added %s/%s; p50 by round %s)", us(sAdded),
                    meaningful[0] ? String.format(Locale.ROOT, "%.2fx", median(byRound[0])) : "-",
                    meaningful[1] ? String.format(Locale.ROOT, "%.2fx", median(byRound[1])) : "-",
                    meaningful[0] ? list(byRound[0], "%.2f") : "-");
        }
        System.out.printf(Locale.ROOT, "%s added latency us p50/p99: export %s | socat %s%n", what, us(eAdded), socatAdded);
    }

    private static String us(double[] p50p99) {
        return String.format(Locale.ROOT, "%.1f/%.1f", p50p99[0], p50p99[1]);
    }

    /** {p50, p99} in us of sockperf's one-way latency ("---> percentile 50.000 = 12.345" lines) for 64-byte TCP messages. */
    private double[] pingPong(List<String> address, int secs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sockperf", "ping-pong", "--tcp"));
        cmd.addAll(address);
        cmd.addAll(List.of("-m", "64", "-t", Integer.toString(secs)));
        Result r = run(cmd, secs + CLIENT_GRACE_SECONDS);
        Matcher p50 = P50.matcher(r.output);
        Matcher p99 = P99.matcher(r.output);
        if (r.exit != 0 || !p50.find() || !p99.find()) {
            String out = r.output.strip();
            throw new IOException("sockperf ping-pong " + String.join(" ", address) + ": exit status " + r.exit + ", no percentiles; ends with: "
                    + out.substring(Math.max(0, out.length() - 300)).replaceAll("\\s+", " "));
        }
        return new double[] {Double.parseDouble(p50.group(1)), Double.parseDouble(p99.group(1))};
    }

    private record Result(int exit, String output) {}

    /** Runs a client to completion (at most {@code timeoutSeconds}), its output (stdout and stderr) read from a file. */
    private Result run(List<String> cmd, long timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "out", ".txt");
        try {
            Process p = started(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start());
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    throw new IOException(String.join(" ", cmd) + " did not end within " + timeoutSeconds + " s");
                }
            } finally {
                stop(p);
                children.remove(p);
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(out), StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The version a tool prints, or null when it is not installed (or does not answer). */
    private String versionOf(Pattern version, String... cmd) {
        try {
            Result r = run(List.of(cmd), 10);
            Matcher m = version.matcher(r.output);
            return r.exit != 0 ? null : m.find() ? m.group(1) : "?";
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /** Where {@link #serveThroughTcpDriver} puts the server's port in its command. */
    private static final String PORT = "{port}";

    /**
     * Starts a tool's server on a free loopback port, and a TCP driver {@code name} to it exported
     * on another.
     *
     * @return the server's port and the export's
     */
    private int[] serveThroughTcpDriver(Path etc, String name, String... command) throws IOException {
        int port = Bench.freePort();
        int export = Bench.freePort();
        server(java.util.Arrays.stream(command).map(a -> a.equals(PORT) ? Integer.toString(port) : a).toArray(String[]::new));
        Files.writeString(etc.resolve("org.netdrivers.tcp-" + name + ".cfg"), "network.name = " + name + "\nhost = 127.0.0.1\nport = "
                + port + "\nnetwork.export = tcp://127.0.0.1:" + export + "\n");
        return new int[] {port, export};
    }

    private void server(String... cmd) throws IOException {
        started(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    private Process started(Process p) {
        children.add(p);
        return p;
    }

    /** Stops a process and what it forked (socat forks one child per connection). */
    private static void stop(Process p) {
        List<ProcessHandle> descendants = p.descendants().toList();
        p.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private void stopAll() {
        List<Process> all;
        synchronized (children) {
            all = new ArrayList<>(children);
            children.clear();
        }
        Collections.reverse(all);
        all.forEach(ExternalTools::stop);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook runs (and finds nothing left to stop)
        }
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
