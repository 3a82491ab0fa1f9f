package org.netdrivers.itests;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A program the tests run as a process of its own: a real server or client from a library that is
 * not an OSGi bundle (Jetty, dbus-java; package {@code peers}, on the test class path), or a
 * system program (dbus-daemon). Its output lines are collected; {@link #close()} ends it.
 */
final class Peer implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>(); // guarded by itself
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final boolean endsWithInput;

    private Peer(Process process, boolean endsWithInput) {
        this.process = process;
        this.endsWithInput = endsWithInput;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            } finally {
                ended.complete(null);
                synchronized (lines) {
                    lines.notifyAll();
                }
            }
        }, "peer-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Runs a program; its standard error goes to the test's. */
    static Peer program(List<String> command) throws IOException {
        return new Peer(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start(), false);
    }

    /** Runs {@code mainClass} of package peers in a JVM of its own, on the test class path. */
    static Peer java(String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx256m", "-Dorg.ops4j.pax.logging.DefaultServiceLog.level=WARN",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                // the build folder as its temporary folder: ZooKeeper's embedded server (ZooKeeperPeer)
                // writes a configuration file there that it never deletes
                "-Djava.io.tmpdir=" + BuildFolder.path(),
                "-cp", System.getProperty("java.class.path"), "org.netdrivers.itests.peers." + mainClass));
        command.addAll(List.of(args));
        return new Peer(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start(), true);
    }

    /** Waits (at most {@code ms}) for an output line starting with {@code prefix}; returns the rest of it. */
    String awaitLine(String prefix, long ms) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ms;
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    if (l.startsWith(prefix)) {
                        return l.substring(prefix.length()).trim();
                    }
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || ended.isDone()) {
                    throw new AssertionError("no output line starting with '" + prefix + "' within " + ms + " ms; output: " + lines
                            + (ended.isDone() ? " (the program ended, exit " + exitValue() + ")" : ""));
                }
                lines.wait(Math.min(left, 100));
            }
        }
    }

    /** The rest of the last output line so far that starts with {@code prefix}, or null. */
    String lastLine(String prefix) {
        synchronized (lines) {
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith(prefix)) {
                    return lines.get(i).substring(prefix.length()).trim();
                }
            }
            return null;
        }
    }

    /** Waits for the program to end by itself (at most {@code ms}); returns its exit status. */
    int awaitExit(long ms) throws InterruptedException {
        if (!process.waitFor(ms, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the program did not end within " + ms + " ms; output: " + output());
        }
        try {
            ended.get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // output is as complete as it gets
        }
        return process.exitValue();
    }

    List<String> output() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    private String exitValue() {
        try {
            return String.valueOf(process.exitValue());
        } catch (IllegalThreadStateException e) {
            return "?";
        }
    }

    /** Writes one line to the process's standard input (peers that take commands). */
    void send(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            process.getOutputStream().close(); // peers of package peers stop when their input closes
        } catch (IOException ignored) {
            // gone already
        }
        if (!endsWithInput || !process.waitFor(3, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
            }
        }
    }
}
