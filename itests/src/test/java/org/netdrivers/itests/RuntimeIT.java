package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;

/**
 * The runtime as a user starts it: the launcher distribution in a process of its own, with
 * FileInstall watching deploy/ and etc/. Not a Pax Exam test: the launcher is the framework here.
 */
public class RuntimeIT {
    private static final long WAIT_MS = 30_000;
    private final Path dist = Path.of(System.getProperty("netdrivers.dist", "../launcher/target/netdrivers")).toAbsolutePath();
    private final List<String> output = new CopyOnWriteArrayList<>();
    private Process process;
    private Thread reader;

    @After
    public void stop() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor(15, TimeUnit.SECONDS);
            process.destroyForcibly();
        }
    }

    private void start(Path home) throws IOException {
        start(home, "--no-shell");
    }

    private void start(Path home, String shellOption) throws IOException {
        output.clear();
        process = new ProcessBuilder("java", "-jar", dist.resolve("lib/netdrivers-launcher.jar").toString(), "--home",
                home.toString(), shellOption).redirectErrorStream(true).start();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.add(line);
                    System.out.println("runtime> " + line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "runtime-output");
        reader.setDaemon(true);
        reader.start();
    }

    private void awaitLine(String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        int from = 0;
        while (System.nanoTime() < deadline) {
            for (String line : output) {
                if (line.contains(what)) {
                    return;
                }
            }
            if (!process.isAlive()) {
                fail("the runtime exited (" + process.exitValue() + ") before logging: " + what);
            }
            Thread.sleep(20);
        }
        fail("the runtime did not log \"" + what + "\" within " + WAIT_MS + " ms; it logged " + output);
    }

    private long countLines(String what) {
        return output.stream().filter(l -> l.contains(what)).count();
    }

    private static String echo(int port, String text) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A runtime home without the demo configuration (etc/ marked as initialized). */
    private static Path emptyHome(String prefix) throws IOException {
        Path home = BuildFolder.newFolder(prefix);
        Files.createDirectories(home.resolve("etc"));
        Files.writeString(home.resolve("etc/.initialized"), "test\n");
        return home;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    public void firstStartServesTheDemoOnPort5555() throws Exception {
        try (ServerSocket probe = new ServerSocket(5555, 1, InetAddress.getLoopbackAddress())) {
            // free: go on
        } catch (IOException busy) {
            System.out.println("SKIPPED firstStartServesTheDemoOnPort5555: 127.0.0.1:5555 is in use on this machine ("
                    + busy.getMessage() + "); the other tests of this class use free ports");
            return;
        }
        Path home = BuildFolder.newFolder("runtime-demo");
        long t0 = System.nanoTime();
        start(home);
        awaitLine("export tcp://127.0.0.1:5555 listening for 'demo'");
        String answer = nc(5555, "hi\n");
        long coldStartMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("hi\n", answer);
        assertTrue("the demo configuration was copied", Files.exists(home.resolve("etc/org.netdrivers.echo-demo.cfg")));
        assertTrue("the drivers were deployed", Files.exists(home.resolve("deploy/echo-bundle.jar")));
        System.out.println("cold start: process start to the demo answering: " + coldStartMs + " ms");

        process.toHandle().destroy(); // SIGTERM, as a service manager would (Process.destroy() would also close our end of its output)
        assertTrue("stopped within 15 s", process.waitFor(15, TimeUnit.SECONDS));
        reader.join(5000); // the rest of its output
        assertEquals("one line saying it stops (exit " + process.exitValue() + "): " + output.subList(Math.max(0, output.size() - 3), output.size()),
                1, countLines("netdrivers runtime stopping"));
        assertTrue("a clean exit: 0, or 143 as the JVM reports an exit on SIGTERM: " + process.exitValue(),
                process.exitValue() == 0 || process.exitValue() == 143);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), 5555)) {
            fail("nothing may listen after the runtime stopped");
        } catch (ConnectException expected) {
            // released
        }
    }

    /** The README's command, {@code printf 'hi\n' | nc -N 127.0.0.1 PORT}, where nc is installed. */
    private static String nc(int port, String text) throws Exception {
        boolean haveNc;
        try {
            haveNc = new ProcessBuilder("nc", "-h").redirectErrorStream(true).start().waitFor() >= 0;
        } catch (IOException e) {
            haveNc = false;
        }
        if (!haveNc) {
            System.out.println("nc is not installed (apt-get install netcat-openbsd): using a Java socket instead");
            return echo(port, text);
        }
        Process nc = new ProcessBuilder("nc", "-N", "127.0.0.1", Integer.toString(port)).start();
        nc.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        nc.getOutputStream().close();
        String out = new String(nc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("nc finished", nc.waitFor(10, TimeUnit.SECONDS));
        return out;
    }

    /** A home given its own configurations before its first start serves those, without the demo. */
    @Test
    public void aHomePreparedWithConfigurationsGetsNoDemo() throws Exception {
        Path home = BuildFolder.newFolder("runtime-prepared");
        Files.createDirectories(home.resolve("etc"));
        int port = freePort();
        Files.writeString(home.resolve("etc/org.netdrivers.echo-own.cfg"), "network.name = own\nnetwork.export = tcp://127.0.0.1:" + port + "\n");
        start(home);
        awaitLine("export tcp://127.0.0.1:" + port + " listening for 'own'");
        assertEquals("own\n", echo(port, "own\n"));
        assertFalse("no demo configuration in a prepared home", Files.exists(home.resolve("etc/org.netdrivers.echo-demo.cfg")));
        assertTrue("the logging configuration is there", Files.exists(home.resolve("etc/org.ops4j.pax.logging.cfg")));
        assertTrue("the drivers were deployed", Files.exists(home.resolve("deploy/echo-bundle.jar")));
        assertEquals("nothing said of the demo", 0, countLines("'demo'"));
    }

    @Test
    public void driverJarsAndConfigurationFilesAreFollowedLive() throws Exception {
        Path home = emptyHome("runtime-live");
        int first = freePort();
        Path cfg = home.resolve("etc/org.netdrivers.echo-live.cfg");
        Files.writeString(cfg, "network.name = live\nnetwork.export = tcp://127.0.0.1:" + first + "\n");
        start(home);
        awaitLine("export tcp://127.0.0.1:" + first + " listening for 'live'");
        assertEquals("one", echo(first, "one"));

        // hot deploy: a newer echo-bundle.jar in deploy/ replaces the running bundle
        Path jar = home.resolve("deploy/echo-bundle.jar");
        Path fresh = Files.createTempFile(home, "echo-bundle", ".tmp");
        Files.copy(dist.resolve("deploy/echo-bundle.jar"), fresh, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(fresh, FileTime.from(Instant.now().plusSeconds(5)));
        Files.move(fresh, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        awaitLine("echo driver 'live' down: bundle stopped or updated");
        long ups = countLines("echo driver 'live' up");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (countLines("echo driver 'live' up") < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue("the driver came back after the update (" + ups + " up lines)", countLines("echo driver 'live' up") >= 2);
        assertEquals("the export kept its listener through the update", "two", echo(first, "two"));
        assertEquals(0, countLines("export tcp://127.0.0.1:" + first + " stopped"));

        // live reconfiguration: editing the file moves the export
        int second = freePort();
        Files.writeString(cfg, "network.name = live\nnetwork.export = tcp://127.0.0.1:" + second + "\n");
        awaitLine("export tcp://127.0.0.1:" + second + " listening for 'live'");
        assertEquals("three", echo(second, "three"));

        // deleting the file removes the driver
        Files.delete(cfg);
        awaitLine("echo driver 'live' down: configuration deleted");
    }

    /** A shell command through the runtime's stdin (--shell: commands from a pipe). */
    private void command(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    @Test
    public void aForwardMadeInTheShellIsAFileInEtcAndSurvivesARestart() throws Exception {
        Path home = emptyHome("runtime-shell");
        Files.writeString(home.resolve("etc/org.netdrivers.echo-target.cfg"), "network.name = target\n");
        int port = freePort();
        String listen = "tcp://127.0.0.1:" + port;
        start(home, "--shell");
        awaitLine("netdrivers runtime started");
        command("network:forward target " + listen); // the export listens whether or not 'target' is up yet
        awaitLine("forward " + listen + " -> target: listening (file ");
        assertEquals("through the forward", "fwd", echo(port, "fwd"));
        Path file = home.resolve("etc/org.netdrivers.forward-tcp-127.0.0.1-" + port + ".cfg");
        assertTrue("the forward is a file in etc/: " + file, Files.exists(file));

        process.toHandle().destroy();
        assertTrue(process.waitFor(15, TimeUnit.SECONDS));
        start(home, "--shell");
        awaitLine("export " + listen + " listening for 'target'");
        assertEquals("after the restart", "again", echo(port, "again"));

        command("network:unforward " + listen);
        awaitLine("forward " + listen + " removed (file " + file + ")");
        awaitLine("export " + listen + " stopped");
        assertTrue("the file is gone", !Files.exists(file));
    }

    @Test
    public void aJumpstarterExporterFileInEtcBecomesDriversAndFollowsEdits() throws Exception {
        Path home = emptyHome("runtime-jumpstarter");
        int port = freePort();
        Path yaml = home.resolve("etc/exporter.yaml");
        String exporter = String.join("\n",
                "apiVersion: jumpstarter.dev/v1alpha1",
                "kind: ExporterConfig",
                "metadata:",
                "  namespace: default",
                "  name: bench-dut",
                "endpoint: grpc.jumpstarter.example.com:443",
                "token: xxxxx",
                "export:",
                "  power:",
                "    type: jumpstarter_driver_yepkit.driver.Ykush",
                "    config:",
                "      serial: YK25838",
                "  loop:",
                "    type: jumpstarter_driver_network.driver.EchoNetwork",
                "  dut:",
                "    children:",
                "      ssh:",
                "        type: jumpstarter_driver_network.driver.TcpNetwork",
                "        config:",
                "          host: 127.0.0.1",
                "          port: " + port,
                "  console:",
                "    ref: dut.ssh",
                "");
        Files.writeString(yaml, exporter);
        start(home);
        awaitLine("jumpstarter import " + yaml + ": 'power' (jumpstarter_driver_yepkit.driver.Ykush) skipped: not a network driver");
        awaitLine("jumpstarter import " + yaml + ": 3 network driver(s): loop (echo), dut.ssh (tcp), console (tcp); 1 entry skipped; 0 configuration(s) removed");
        awaitLine("echo driver 'loop' up: echo:loop");
        awaitLine("tcp driver 'dut.ssh' up: tcp://127.0.0.1:" + port);
        awaitLine("tcp driver 'console' up: tcp://127.0.0.1:" + port);

        // an edit: the ref goes, the echo stays as it was (not re-created)
        Files.writeString(yaml, exporter.replace("  console:\n    ref: dut.ssh\n", ""));
        awaitLine("tcp driver 'console' down: configuration deleted");
        awaitLine("2 network driver(s): loop (echo), dut.ssh (tcp); 1 entry skipped; 1 configuration(s) removed");
        assertEquals("the unchanged echo driver was not re-created", 1, countLines("echo driver 'loop' up"));

        // a broken file changes nothing and says why
        Files.writeString(yaml, exporter + "  broken: [\n");
        awaitLine("jumpstarter import " + yaml + ": not valid YAML");
        assertEquals(0, countLines("echo driver 'loop' down"));

        Files.delete(yaml);
        awaitLine("jumpstarter import " + yaml + ": file removed, 2 configuration(s) deleted");
        awaitLine("echo driver 'loop' down: configuration deleted");
        awaitLine("tcp driver 'dut.ssh' down: configuration deleted");
    }
}
