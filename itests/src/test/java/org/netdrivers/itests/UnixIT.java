package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The Unix-domain socket driver and Unix exports, against Unix sockets this test creates (the
 * JDK's own AF_UNIX channels, so that the server is not the library the driver uses), and socat.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UnixIT extends NetdriversTestSupport {
    private static final long SIZE = 64L * 1024 * 1024;

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_UNIX, NetworkConstants.PID_FORWARD);
    }

    private static ServerSocketChannel unixServer(Path path) throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        return server;
    }

    private void unixDriver(String name, String path, Object... extra) throws Exception {
        configureDriver(NetworkConstants.PID_UNIX, name, Map.of("path", path), extra);
    }

    /**
     * The server side of a bulk exchange: accepts one client, sends it SIZE bytes (from
     * {@code seed}) and half-closes, while reading what it sends until its half-close.
     *
     * @return what it received and what it sent, each as "bytes:sha-256"
     */
    private static Future<String[]> exchangeWithNextClient(ServerSocketChannel server, long seed) {
        return Payload.THREADS.submit(() -> {
            try (SocketChannel s = server.accept()) {
                Future<String> sent = Payload.THREADS.submit(() -> {
                    String sha = Payload.write(Payload.out(s), seed, SIZE);
                    s.shutdownOutput();
                    return SIZE + ":" + sha;
                });
                String received = Payload.read(Payload.in(s));
                return new String[] {received, sent.get()};
            }
        });
    }

    @Test
    public void sixtyFourMebibytesEachWayThroughAPathSocket() throws Exception {
        Path sock = tempFolder().resolve("bulk.sock");
        try (ServerSocketChannel server = unixServer(sock)) {
            unixDriver("unix-bulk", sock.toString());
            assertEquals("unix:" + sock, registry.endpoint("unix-bulk").get().address());
            Future<String[]> peer = exchangeWithNextClient(server, 12);
            ByteStream stream = await(driver("unix-bulk").connect());
            CompletableFuture<String> sent = Payload.send(stream, 11, SIZE);
            CompletableFuture<String> received = Payload.receive(stream);
            String[] atPeer = peer.get(60, TimeUnit.SECONDS);
            assertEquals("client -> server, with EOF after it", sent.get(60, TimeUnit.SECONDS), atPeer[0]);
            assertEquals("server -> client, with EOF after it", atPeer[1], received.get(60, TimeUnit.SECONDS));
            stream.close();
        }
    }

    @Test
    public void aUnixExportOfAUnixDriverRelaysSixtyFourMebibytesEachWayWithHalfCloses() throws Exception {
        Path dir = tempFolder();
        Path backend = dir.resolve("relay-backend.sock");
        Path exported = dir.resolve("relay-export.sock");
        try (ServerSocketChannel server = unixServer(backend)) {
            unixDriver("unix-relay", backend.toString(), NetworkConstants.NETWORK_EXPORT, "unix:" + exported);
            awaitExport("unix:" + exported);
            Future<String[]> peer = exchangeWithNextClient(server, 22);
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(exported))) {
                Future<String> sent = Payload.THREADS.submit(() -> {
                    String sha = Payload.write(Payload.out(client), 21, SIZE);
                    client.shutdownOutput();
                    return SIZE + ":" + sha;
                });
                String received = Payload.read(Payload.in(client));
                String[] atPeer = peer.get(60, TimeUnit.SECONDS);
                assertEquals("client -> server, with the client's half-close after it", sent.get(60, TimeUnit.SECONDS), atPeer[0]);
                assertEquals("server -> client, with the server's half-close after it", atPeer[1], received);
            }
            awaitCondition("connection closed", () -> export("unix:" + exported).openConnections() == 0);
            assertEquals("the connection was relayed on the loop that owns both sockets", 1,
                    export("unix:" + exported).relayedConnections());
            assertEquals(SIZE, export("unix:" + exported).bytesIn());
            assertEquals(SIZE, export("unix:" + exported).bytesOut());
            assertEquals(SIZE, registry.endpoint("unix-relay").get().bytesIn());
            assertEquals(SIZE, registry.endpoint("unix-relay").get().bytesOut());
        }
    }

    @Test
    public void aUnixExportClosesAnIdleRelayedConnectionAfterIdleTimeoutAndNotABusyOne() throws Exception {
        Path dir = tempFolder();
        Path backend = dir.resolve("idle-backend.sock");
        Path exported = dir.resolve("idle-export.sock");
        registrySettings(Map.of("idle_timeout_s", 1));
        try (ServerSocketChannel server = unixServer(backend); LogCapture log = new LogCapture(context)) {
            Payload.THREADS.submit(() -> { // the device: an echo server for each client
                while (server.isOpen()) {
                    SocketChannel s = server.accept();
                    Payload.THREADS.submit(() -> {
                        try (s) {
                            Channels.newInputStream(s).transferTo(Channels.newOutputStream(s));
                        }
                        return null;
                    });
                }
                return null;
            });
            unixDriver("unix-idle", backend.toString(), NetworkConstants.NETWORK_EXPORT, "unix:" + exported);
            awaitExport("unix:" + exported);
            try (SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(exported));
                    SocketChannel busy = SocketChannel.open(UnixDomainSocketAddress.of(exported))) {
                InputStream idleIn = Channels.newInputStream(idle);
                InputStream busyIn = Channels.newInputStream(busy);
                Channels.newOutputStream(idle).write('i');
                assertEquals('i', idleIn.read());
                Future<Integer> idleEnd = Payload.THREADS.submit(() -> idleIn.read());
                long t0 = System.nanoTime();
                for (int i = 0; i < 10; i++) { // 3 s of a byte each way every 300 ms
                    Channels.newOutputStream(busy).write('b');
                    assertEquals("the busy connection serves on", 'b', busyIn.read());
                    Thread.sleep(300);
                }
                assertEquals("the idle one was closed", -1, (int) idleEnd.get(WAIT_MS, TimeUnit.MILLISECONDS));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue("closed after about 1 s of silence, not before: " + ms + " ms", ms >= 900);
                assertEquals("both were relayed (their bytes counted as they went)", 2,
                        export("unix:" + exported).relayedConnections());
            }
            awaitCondition("a line for the idle close", () -> log.lines("export unix:" + exported, "idle_timeout_s").size() == 1);
            assertEquals("not a warning: a client's silence is not a fault", 0,
                    log.warnings("export unix:" + exported, "idle_timeout_s").size());
            System.out.println(log.lines("export unix:" + exported, "idle_timeout_s").get(0));
        } finally {
            registryDefaults();
        }
    }

    @Test
    public void halfCloseFromTheClientLetsTheServerAnswer() throws Exception {
        Path sock = tempFolder().resolve("half.sock");
        try (ServerSocketChannel server = unixServer(sock)) {
            unixDriver("unix-half", sock.toString());
            Future<String> peer = Payload.THREADS.submit(() -> {
                try (SocketChannel s = server.accept()) {
                    String q = new String(Channels.newInputStream(s).readAllBytes(), StandardCharsets.UTF_8);
                    Channels.newOutputStream(s).write(("answer to " + q).getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return q;
                }
            });
            ByteStream stream = await(driver("unix-half").connect());
            send(stream, "question");
            await(stream.sendEof());
            assertEquals("question", peer.get(WAIT_MS, TimeUnit.MILLISECONDS));
            StringBuilder answer = new StringBuilder();
            for (String c; (c = receiveText(stream)) != null; ) {
                answer.append(c);
            }
            assertEquals("answer to question", answer.toString());
            stream.close();
        }
    }

    @Test
    public void aMissingSocketFileFailsTheConnectNamingThePath() throws Exception {
        Path sock = tempFolder().resolve("nobody.sock");
        unixDriver("unix-missing", sock.toString());
        Throwable failure = awaitFailure(driver("unix-missing").connect());
        assertTrue(failure.toString(), failure instanceof ConnectException);
        assertContains("message", failure.getMessage(), "unix driver 'unix-missing': cannot connect to unix:" + sock);
    }

    @Test
    public void abstractNamespaceSocketsWorkBothWays() throws Exception {
        if (Tools.missing("socat", "abstractNamespaceSocketsWorkBothWays",
                "socat is not installed to serve an abstract socket (the JDK cannot); apt-get install socat (CI installs it)")) {
            return;
        }
        String name = "netdrivers-it-" + ProcessHandle.current().pid();
        Process echo = new ProcessBuilder("socat", "ABSTRACT-LISTEN:" + name + ",fork", "EXEC:cat").start();
        try {
            unixDriver("unix-abstract", "@" + name);
            assertEquals("unix:@" + name, registry.endpoint("unix-abstract").get().address());
            awaitCondition("socat listening", () -> {
                try {
                    ByteStream s = await(registry.open("unix-abstract"));
                    s.close();
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
            try (ByteStream stream = await(registry.open("unix-abstract"))) {
                // the echo is read before this side half-closes: see the note on UnixAddress (junixsocket's
                // selector closes a channel on hang-up, so bytes that arrive with it can be lost)
                send(stream, "through the abstract namespace");
                StringBuilder back = new StringBuilder();
                while (back.length() < "through the abstract namespace".length()) {
                    back.append(receiveText(stream));
                }
                assertEquals("through the abstract namespace", back.toString());
                await(stream.sendEof());
            }
            // an export in the abstract namespace listens (and its bytes cross as above)
            String exportName = name + "-export";
            configure(NetworkConstants.PID_FORWARD, "abstract", Map.of("target", "unix-abstract", "listen", "unix:@" + exportName));
            awaitExport("unix:@" + exportName);
        } finally {
            echo.destroy();
        }
    }

    @Test
    public void aUnixExportHasItsModeReplacesStaleFilesRefusesLiveOnesAndCleansUp() throws Exception {
        Path dir = tempFolder();
        Path backend = dir.resolve("backend.sock");
        Path exported = dir.resolve("exported.sock");
        try (ServerSocketChannel server = unixServer(backend)) {
            Future<?> echo = Payload.THREADS.submit(() -> {
                while (server.isOpen()) {
                    SocketChannel s = server.accept();
                    Payload.THREADS.submit(() -> {
                        try (s) {
                            InputStream in = Channels.newInputStream(s);
                            OutputStream out = Channels.newOutputStream(s);
                            in.transferTo(out);
                            s.shutdownOutput();
                        }
                        return null;
                    });
                }
                return null;
            });
            // a stale file: a socket nobody listens on any more
            try (ServerSocketChannel stale = unixServer(exported)) {
                // closed at once: the file stays behind
            }
            assertTrue("the stale file exists", Files.exists(exported));
            unixDriver("unix-exported", backend.toString(), NetworkConstants.NETWORK_EXPORT, "unix:" + exported);
            awaitExport("unix:" + exported);
            assertEquals("the file is private to its owner", "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(exported)));
            // the kernel's table of Unix sockets (what ss -lx and lsof read) names the listener by its path
            // (flags 00010000: __SO_ACCEPTCON, listening)
            String table = Files.readString(Path.of("/proc/net/unix"));
            assertTrue("/proc/net/unix lists a listener at " + exported + ":\n" + table, table.lines()
                    .anyMatch(l -> l.endsWith(" " + exported) && l.split("\\s+")[3].equals("00010000")));

            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(exported))) {
                Channels.newOutputStream(client).write("over a unix export".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                assertEquals("over a unix export", new String(Channels.newInputStream(client).readAllBytes(), StandardCharsets.UTF_8));
            }
            if (Tools.installed("socat")) {
                assertEquals("socat says hi\n", Tools.run(List.of("socat", "-t", "2", "-", "UNIX-CONNECT:" + exported), "socat says hi\n"));
            } else {
                System.out.println("SKIPPED the socat part of the unix export test: socat is not installed");
            }

            // a live file: someone listens there; the export must not steal it
            Path taken = dir.resolve("taken.sock");
            try (ServerSocketChannel owner = unixServer(taken); LogCapture log = new LogCapture(context)) {
                configure(NetworkConstants.PID_FORWARD, "taken", Map.of("target", "unix-exported", "listen", "unix:" + taken,
                        "mode", "0660"));
                awaitCondition("a warning", () -> !log.warnings("unix:" + taken).isEmpty());
                assertContains("warning", log.warnings("unix:" + taken).get(0), "someone is listening on " + taken + " already");
                assertTrue("the live socket is untouched", Files.exists(taken));
            }

            // mode from the forward configuration
            Path shared = dir.resolve("shared.sock");
            configure(NetworkConstants.PID_FORWARD, "shared", Map.of("target", "unix-exported", "listen", "unix:" + shared, "mode", "0660"));
            awaitExport("unix:" + shared);
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));

            // stopping removes the files
            deleteConfigurations(NetworkConstants.PID_FORWARD);
            awaitCondition("forward file removed", () -> !Files.exists(shared));
            deleteConfigurations(NetworkConstants.PID_UNIX);
            awaitCondition("driver export file removed after the linger", () -> !Files.exists(exported));
            assertFalse(Files.exists(exported));
            server.close();
            echo.cancel(true);
        }
    }
}
