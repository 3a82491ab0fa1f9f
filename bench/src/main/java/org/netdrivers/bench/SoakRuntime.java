package org.netdrivers.bench;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The runtime under soak as a process of its own (so that kill -9 is real), its log (stdout and
 * stderr of every start appended to one file), and its resources measured from outside: /proc
 * for descriptors, threads and RSS, jcmd for the heap after a full GC.
 */
final class SoakRuntime {
    private final Path dist;
    private final Path home;
    private final Path log;
    private Process process;
    private int starts;

    SoakRuntime(Path dist, Path home, Path log) {
        this.dist = dist;
        this.home = home;
        this.log = log;
    }

    Path log() {
        return log;
    }

    int starts() {
        return starts;
    }

    /** java -jar lib/netdrivers-launcher.jar --home HOME --no-shell, as ./netdrivers runs it. */
    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the runtime runs already");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // JVM options for the runtime, for a diagnosis (such as -XX:NativeMemoryTracking=summary); none by default
        String opts = System.getenv("SOAK_RUNTIME_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) {
            command.addAll(List.of(opts.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", dist.resolve("lib/netdrivers-launcher.jar").toString(), "--home", home.toString(), "--no-shell"));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        starts++;
    }

    synchronized long pid() {
        return process.pid();
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized String exitDescription() {
        if (process == null) {
            return "not started";
        }
        return process.isAlive() ? "running" : "exited with status " + process.exitValue();
    }

    /**
     * SIGKILL, and the wait for the process to be gone. Then removes the socket of its Attach
     * Listener, started by the jcmd of {@link #measure}: HotSpot removes it at a clean exit only, and
     * always makes it in /tmp on Linux.
     */
    synchronized void kill9() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the runtime (pid " + process.pid() + ") is still there 30 s after SIGKILL");
            }
            try {
                Files.deleteIfExists(Path.of("/tmp", ".java_pid" + process.pid()));
            } catch (IOException e) {
                System.out.println("soak: the killed runtime's attach socket stays: " + e);
            }
        }
    }

    /** SIGTERM (the launcher's shutdown hook stops the framework), SIGKILL after 20 s. */
    synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- the log

    /** Bytes of the log so far: a position to read new lines from. */
    long logSize() {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Complete lines written from byte {@code from} on; {@code next[0]} gets where they end. */
    List<String> linesFrom(long from, long[] next) throws IOException {
        List<String> lines = new ArrayList<>();
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len <= from) {
                next[0] = from;
                return lines;
            }
            byte[] bytes = new byte[(int) Math.min(len - from, 64L << 20)];
            f.seek(from);
            f.readFully(bytes);
            int lastNewline = -1;
            for (int i = bytes.length - 1; i >= 0; i--) {
                if (bytes[i] == '\n') {
                    lastNewline = i;
                    break;
                }
            }
            if (lastNewline < 0) {
                next[0] = from;
                return lines;
            }
            String text = new String(bytes, 0, lastNewline, StandardCharsets.UTF_8);
            lines.addAll(List.of(text.split("\n", -1)));
            next[0] = from + lastNewline + 1;
        }
        return lines;
    }

    /**
     * Waits, at most {@code ms}, for a log line written from byte {@code from} on that matches;
     * returns it, or null. {@code next[0]} gets the position after it.
     */
    String awaitLine(long from, Predicate<String> match, long ms, long[] next) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        long pos = from;
        long[] end = new long[1];
        while (true) {
            List<String> lines = linesFrom(pos, end);
            long at = pos;
            for (String line : lines) {
                at += line.getBytes(StandardCharsets.UTF_8).length + 1;
                if (match.test(line)) {
                    next[0] = at;
                    return line;
                }
            }
            pos = end[0];
            if (System.nanoTime() > deadline || !alive()) {
                next[0] = pos;
                return null;
            }
            Thread.sleep(20);
        }
    }

    List<String> allLines() throws IOException {
        try (Stream<String> s = Files.lines(log, StandardCharsets.UTF_8)) {
            return s.toList();
        }
    }

    /** The epoch ms of a log line ("HH:mm:ss.SSS LEVEL ..." in local time, today or just before midnight). */
    static long lineMillis(String line) {
        try {
            LocalTime t = LocalTime.parse(line.substring(0, 12));
            LocalDateTime now = LocalDateTime.now();
            LocalDateTime at = LocalDateTime.of(LocalDate.now(), t);
            if (at.isAfter(now.plusHours(12))) {
                at = at.minusDays(1);
            }
            return at.atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- measurements from outside

    /** Resources of the runtime process; heap and metaspace used after a full GC, in KiB. */
    record Sample(int fds, int threads, long rssKb, long heapRssKb, long heapKb, long heapCommittedKb, long metaspaceKb) {
        /** Resident memory outside the Java heap's address range (native: code, metaspace, stacks, buffers, malloc). */
        long nativeRssKb() {
            return heapRssKb < 0 ? -1 : rssKb - heapRssKb;
        }
    }

    /** Whether jcmd's System.trim_native_heap works here (null: not tried yet). */
    private volatile Boolean trim;

    boolean trimsNativeHeap() {
        return trim == Boolean.TRUE;
    }

    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");
    private static final Pattern RANGE = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+)\\)");
    private static final Pattern META = Pattern.compile("Metaspace\\s+used (\\d+)K");

    /**
     * jcmd PID GC.run, then GC.heap_info (heap: the sum of the "used" of every generation line,
     * whatever the collector), then /proc/PID/fd and /proc/PID/status (Threads, VmRSS). The first
     * jcmd starts the target's Attach Listener thread: every sample is taken after one.
     */
    Sample measure() throws IOException, InterruptedException {
        long pid = pid();
        jcmd(pid, "GC.run");
        if (trim != Boolean.FALSE) {
            // glibc keeps freed malloc memory (the JIT's arenas above all) in the process: returned to the
            // system first, RSS shows what is in use (JDK 17.0.9 and later; without it RSS reads higher)
            try {
                jcmd(pid, "System.trim_native_heap");
                trim = Boolean.TRUE;
            } catch (IOException e) {
                trim = Boolean.FALSE;
            }
        }
        String info = jcmd(pid, "GC.heap_info");
        long heap = 0;
        long committed = 0;
        Matcher m = HEAP.matcher(info);
        boolean any = false;
        while (m.find()) {
            committed += Long.parseLong(m.group(1));
            heap += Long.parseLong(m.group(2));
            any = true;
        }
        Matcher mm = META.matcher(info);
        long meta = mm.find() ? Long.parseLong(mm.group(1)) : -1;
        if (!any) {
            throw new IOException("jcmd " + pid + " GC.heap_info: no heap figures in: " + info.strip());
        }
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) s.count();
        }
        int threads = -1;
        long rss = -1;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring(8).trim());
            } else if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        Matcher r = RANGE.matcher(info);
        long heapRss = r.find() ? residentKb(pid, Long.parseUnsignedLong(r.group(1), 16), Long.parseUnsignedLong(r.group(2), 16)) : -1;
        return new Sample(fds, threads, rss, heapRss, heap, committed, meta);
    }

    /** KiB resident in the mappings of /proc/PID/smaps that lie within [from, to): the heap's pages in memory. */
    private static long residentKb(long pid, long from, long to) throws IOException {
        long kb = 0;
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = start >= from && end <= to;
            } else if (inside && line.startsWith("Rss:")) {
                kb += Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        return kb;
    }

    /** The runtime's limit of open files (the soft limit in /proc/PID/limits), or -1. */
    long openFilesLimit() {
        return openFilesLimit("/proc/" + pid() + "/limits");
    }

    static long openFilesLimit(String limits) {
        try {
            for (String line : Files.readAllLines(Path.of(limits))) {
                if (line.startsWith("Max open files")) {
                    String v = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return -1;
    }

    /** jcmd on the runtime, for what the soak prints only. */
    String jcmd(String command) throws IOException, InterruptedException {
        return jcmd(pid(), command);
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Path outFile = Files.createTempFile("soak-jcmd", ".txt");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                    .redirectOutput(outFile.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("jcmd " + pid + " " + command + " did not end within 60 s");
            }
            String text = Files.readString(outFile);
            if (p.exitValue() != 0) {
                throw new IOException("jcmd " + pid + " " + command + " failed (" + p.exitValue() + "): " + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(outFile);
        }
    }
}
