package org.netdrivers.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Programs nobody here wrote (socat, nc), run by tests where installed. */
final class Tools {
    private Tools() {}

    static boolean installed(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (new java.io.File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

    /**
     * @return whether {@code program} is missing here; if so, says "SKIPPED {@code what}:
     *         {@code why}" in the output, so that a test or a part of one left out says why
     */
    static boolean missing(String program, String what, String why) {
        if (installed(program)) {
            return false;
        }
        System.out.println("SKIPPED " + what + ": " + why);
        return true;
    }

    /**
     * SO_RCVBUF and SO_SNDBUF, as the kernel reports them (Linux: twice the size set), of the
     * socket in {@code ss -O}'s listing of {@code protocol} ("-t" or "-u") in {@code state} whose
     * local address ends with {@code local} and whose peer address ends with {@code peer} (either:
     * any where null; the JDK's sockets are dual-stack, shown as [::ffff:127.0.0.1]:PORT); null
     * where there is none.
     */
    static int[] socketBuffers(String protocol, String state, String local, String peer) throws IOException, InterruptedException {
        String line = ssLine(protocol, "-m", state, local, peer);
        java.util.regex.Matcher m = line == null ? null : SKMEM.matcher(line);
        return m != null && m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))} : null;
    }

    /**
     * The line of one socket in {@code ss PROTOCOL -a -n -O} with {@code detail} ({@code -m}
     * memory, {@code -o} timers): the first in {@code state} whose local address ends with
     * {@code local} and whose peer address ends with {@code peer} (either: any where null); null
     * where there is none.
     */
    private static String ssLine(String protocol, String detail, String state, String local, String peer)
            throws IOException, InterruptedException {
        String ss = run(List.of("ss", protocol, "-a", "-n", detail, "-O"), "");
        return ss.lines().map(String::trim).filter(l -> {
            String[] columns = l.split("\\s+");
            return columns.length > 4 && columns[0].equals(state) && (local == null || columns[3].endsWith(local))
                    && (peer == null || columns[4].endsWith(peer));
        }).findFirst().orElse(null);
    }

    private static final java.util.regex.Pattern SKMEM = java.util.regex.Pattern.compile("rb(\\d+),t\\d+,tb(\\d+)");

    /** Whether both sizes are at {@code asked} or up to twice that (Linux reports twice the size set). */
    static boolean buffersAt(int[] sizes, int asked) {
        return sizes != null && sizes[0] >= asked && sizes[0] <= 2 * asked && sizes[1] >= asked && sizes[1] <= 2 * asked;
    }

    /**
     * Seconds until the next keepalive probe of the established TCP socket in {@code ss -o}'s
     * listing whose local address ends with {@code local} and whose peer address ends with
     * {@code peer} (either: any where null): -1 where no keepalive timer runs on it, null where
     * there is no such socket. ss shows one timer a socket: while another runs (a retransmit
     * timer until the peer's ACK, on a socket that just sent), it asks again, for 3 s at most.
     */
    static Double keepaliveSeconds(String local, String peer) throws IOException, InterruptedException {
        for (int i = 0; ; i++) {
            String line = ssLine("-t", "-o", "ESTAB", local, peer);
            if (line == null) {
                return null;
            }
            if (line.contains("timer:(") && !line.contains("timer:(keepalive") && i < 30) {
                Thread.sleep(100);
                continue;
            }
            java.util.regex.Matcher m = KEEPALIVE.matcher(line);
            if (!m.find()) {
                return -1.0;
            }
            return (m.group(1) == null ? 0 : 60 * Integer.parseInt(m.group(1))) + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2)))
                    + (m.group(3) == null ? 0 : Integer.parseInt(m.group(3)) / 1000.0);
        }
    }

    /** ss writes a timer as [Mmin][S(sec|.)][MSms]: 1min59sec, 28sec, 3.028ms (3 s 28 ms), 160ms. */
    private static final java.util.regex.Pattern KEEPALIVE =
            java.util.regex.Pattern.compile("timer:\\(keepalive,(?:(\\d+)min)?(?:(\\d+)(?:sec|\\.))?(?:(\\d+)ms)?,");

    /** Runs a command with {@code input} on stdin; returns its stdout; fails after 20 s. */
    static String run(List<String> command, String input) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 20 s");
        }
        return out;
    }
}
