package org.netdrivers.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The WebSocket driver (the JDK's java.net.http.WebSocket) against a real WebSocket server: Eclipse
 * Jetty, in a process of its own ({@code peers.WebSocketEchoPeer}), on loopback.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebSocketIT extends NetdriversTestSupport {

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_WEBSOCKET);
    }

    private static Peer server(String... args) throws Exception {
        return Peer.java("WebSocketEchoPeer", args);
    }

    private static int port(Peer server) throws Exception {
        return Integer.parseInt(server.awaitLine("PORT", 30_000));
    }

    private void wsDriver(String name, String url, Object... extra) throws Exception {
        configureDriver(NetworkConstants.PID_WEBSOCKET, name, Map.of("url", url), extra);
    }

    private static byte[] receiveMessage(ByteStream stream) throws Exception {
        Optional<ByteBuffer> chunk = await(stream.receive());
        assertTrue("a message, not the end of the stream", chunk.isPresent());
        ByteBuffer b = chunk.get();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static void sendText(ByteStream stream, String command) throws Exception {
        await(stream.send(ByteBuffer.wrap(command.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    public void binaryMessagesKeepTheirBoundariesFromOneByteToOneMebibyte() throws Exception {
        try (Peer server = server()) {
            String url = "ws://127.0.0.1:" + port(server) + "/echo";
            wsDriver("wsb", url);
            assertEquals(url, registry.endpoint("wsb").get().address());
            ByteStream stream = await(driver("wsb").connect());
            SplittableRandom random = new SplittableRandom(7);
            List<Integer> sizes = new ArrayList<>(List.of(1, 2, 125, 126, 127, 65_535, 65_536, 65_537, 1 << 20));
            for (int i = 0; i < 40; i++) {
                sizes.add(1 + random.nextInt(i % 4 == 0 ? 1 << 20 : 4096));
            }
            long bytes = 0;
            for (int size : sizes) { // one at a time: each echo must be exactly the message sent
                byte[] message = new byte[size];
                Payload.fill(random, message);
                await(stream.send(ByteBuffer.wrap(message)));
                assertArrayEquals("message of " + size + " bytes", message, receiveMessage(stream));
                bytes += size;
            }
            // pipelined: 200 messages sent without waiting for their echoes, received in order
            List<byte[]> sent = new ArrayList<>();
            List<CompletionStage<Void>> sends = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                byte[] message = new byte[1 + random.nextInt(16 * 1024)];
                Payload.fill(random, message);
                sent.add(message);
                sends.add(stream.send(ByteBuffer.wrap(message)));
            }
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals("pipelined message " + i, sent.get(i), receiveMessage(stream));
                bytes += sent.get(i).length;
            }
            for (CompletionStage<Void> s : sends) {
                await(s);
            }
            stream.close();
            System.out.println("websocket: " + (sizes.size() + sent.size()) + " binary messages, " + bytes
                    + " bytes, 1 B..1 MiB, each boundary and payload checked");
        }
    }

    /** Threads of the JDK's HttpClient selectors (one per client): Java 17 cannot close a client. */
    private static long httpClientSelectors() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")).count();
    }

    @Test
    public void driversWithoutATrustStoreShareOneHttpClient() throws Exception {
        try (Peer server = server()) {
            String url = "ws://127.0.0.1:" + port(server) + "/echo";
            wsDriver("share0", url);
            await(driver("share0").connect()).close();
            long before = httpClientSelectors();
            for (int i = 1; i <= 5; i++) {
                wsDriver("share" + i, url);
                ByteStream stream = await(driver("share" + i).connect());
                sendText(stream, "cmd:text:" + i);
                assertArrayEquals(Integer.toString(i).getBytes(StandardCharsets.UTF_8), receiveMessage(stream));
                stream.close();
                deleteConfigurations(NetworkConstants.PID_WEBSOCKET); // the driver goes (a hot swap's first half)
            }
            System.out.println("HttpClient selector threads: " + before + " before 5 driver activations, "
                    + httpClientSelectors() + " after");
            assertEquals("no selector thread per activation", before, httpClientSelectors());
        }
    }

    @Test
    public void textMessagesArriveAsTheirUtf8Bytes() throws Exception {
        try (Peer server = server()) {
            wsDriver("wst", "ws://127.0.0.1:" + port(server) + "/echo");
            ByteStream stream = await(driver("wst").connect());
            sendText(stream, "cmd:text:héllo ✓");
            assertArrayEquals("héllo ✓".getBytes(StandardCharsets.UTF_8), receiveMessage(stream));
            sendText(stream, "cmd:bigtext:100000"); // 600,000 bytes, delivered to the JDK in parts
            assertArrayEquals("é✓-".repeat(100_000).getBytes(StandardCharsets.UTF_8), receiveMessage(stream));
            stream.close();
        }
    }

    @Test
    public void headersAndSubprotocolsReachTheServer() throws Exception {
        try (Peer server = server()) {
            // headers as a .config file gives them (a list), subprotocols as a .cfg file does (one string)
            wsDriver("wsh", "ws://127.0.0.1:" + port(server) + "/echo",
                    "headers", new String[] {"Authorization: Bearer t0ken", "X-Test: yes"},
                    "subprotocols", "netdrivers.v2, other");
            ByteStream stream = await(driver("wsh").connect());
            sendText(stream, "cmd:describe");
            assertEquals("authorization=Bearer t0ken;x-test=yes;subprotocol=netdrivers.v2",
                    new String(receiveMessage(stream), StandardCharsets.UTF_8));
            stream.close();
        }
    }

    /**
     * A server gone silent (it reads nothing more: no Close, no FIN, no Pong) fails the stream
     * once a Ping went unanswered for ping_timeout_s; a server that answers Pings keeps an idle
     * stream open; a stream that sends no Pings (ping_interval_s = 0) stays open on the silent one.
     */
    @Test
    public void aServerGoneSilentFailsTheStreamThroughPingsAndAnIdleOneThatAnswersStays() throws Exception {
        try (Peer server = server()) {
            String at = "ws://127.0.0.1:" + port(server);
            // the peer's /silent reads nothing after a first message: it answers no Ping, and sends no Close
            wsDriver("wsp", at + "/silent", "ping_interval_s", 1, "ping_timeout_s", 1);
            wsDriver("wsq", at + "/silent", "ping_interval_s", 0);
            wsDriver("wse", at + "/echo", "ping_interval_s", 1, "ping_timeout_s", 1);
            ByteStream frozen = await(driver("wsp").connect());
            ByteStream unpinged = await(driver("wsq").connect());
            ByteStream idle = await(driver("wse").connect());
            sendText(frozen, "hello");
            sendText(unpinged, "hello");
            long t0 = System.nanoTime();
            java.util.concurrent.CompletableFuture<Optional<ByteBuffer>> unpingedEnd = unpinged.receive().toCompletableFuture();
            try {
                Optional<ByteBuffer> got = frozen.receive().toCompletableFuture().get(15, java.util.concurrent.TimeUnit.SECONDS);
                throw new AssertionError("the silent server's stream failed, not " + got);
            } catch (java.util.concurrent.ExecutionException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue("it says why: " + e.getCause().getMessage(), e.getCause().getMessage().contains("ping_timeout_s"));
                assertTrue("after a second of silence and a second of an unanswered Ping, not at once: " + ms + " ms", ms >= 1500);
                System.out.println("silent server: the stream failed after " + ms + " ms: " + e.getCause().getMessage());
            }
            Thread.sleep(1000); // the idle stream has been silent for 3 s and more: Pings answered
            sendText(idle, "still here");
            assertEquals("still here", new String(receiveMessage(idle), StandardCharsets.UTF_8));
            assertTrue("without Pings the silent server's stream is still open", !unpingedEnd.isDone());
            idle.close();
            unpinged.close();
        }
    }

    @Test
    public void serverCloseIsEndOfStreamAndSendEofSendsACloseFrame() throws Exception {
        try (Peer server = server()) {
            wsDriver("wsc", "ws://127.0.0.1:" + port(server) + "/echo");
            ByteStream first = await(driver("wsc").connect());
            sendText(first, "cmd:close");
            assertEquals("the server's Close is the end of the stream", Optional.empty(), await(first.receive()));
            first.close();
            await(first.closed());

            ByteStream second = await(driver("wsc").connect());
            sendText(second, "last words");
            await(second.sendEof());
            assertEquals("last words", new String(receiveMessage(second), StandardCharsets.UTF_8));
            assertEquals("after our Close the server's answer ends the stream", Optional.empty(), await(second.receive()));
        }
    }

    @Test
    public void wssWithASelfSignedCertificateTrustedThroughTheConfiguration() throws Exception {
        Path dir = BuildFolder.newFolder("tls-");
        Path serverStore = dir.resolve("server.p12");
        Path cert = dir.resolve("server.crt");
        Path trustStore = dir.resolve("trust.p12");
        String keytool = System.getProperty("java.home") + "/bin/keytool";
        Tools.run(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", serverStore.toString(), "-storepass", "secret1", "-keypass", "secret1"), "");
        Tools.run(List.of(keytool, "-exportcert", "-alias", "server", "-keystore", serverStore.toString(), "-storepass", "secret1",
                "-file", cert.toString()), "");
        Tools.run(List.of(keytool, "-importcert", "-noprompt", "-alias", "server", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", "secret2"), "");
        assertTrue("keytool made the trust store", Files.size(trustStore) > 0);
        try (Peer server = server("--tls", serverStore.toString(), "secret1")) {
            String url = "wss://127.0.0.1:" + port(server) + "/echo";
            wsDriver("wss", url, "trust_store", trustStore.toString(), "trust_store_password", "secret2");
            ByteStream stream = await(driver("wss").connect());
            sendText(stream, "over TLS");
            assertEquals("over TLS", new String(receiveMessage(stream), StandardCharsets.UTF_8));
            stream.close();

            wsDriver("wss-untrusted", url);
            Throwable failure = awaitFailure(driver("wss-untrusted").connect());
            System.out.println("wss without the trust store: " + failure.getMessage());
            assertContains("names the URL", failure.getMessage(), "cannot connect to " + url);
        }
    }

    @Test
    public void aTcpExportCarriesTheBytesForAPlainSocketClient() throws Exception {
        try (Peer server = server()) {
            int exportPort = FreePort.find();
            wsDriver("wsx", "ws://127.0.0.1:" + port(server) + "/echo", NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + exportPort);
            awaitExport("tcp://127.0.0.1:" + exportPort);
            byte[] payload = new byte[256 * 1024];
            Payload.fill(new SplittableRandom(3), payload);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), exportPort)) {
                s.setSoTimeout((int) WAIT_MS);
                OutputStream out = s.getOutputStream();
                out.write(payload);
                s.shutdownOutput(); // -> a Close frame; the server echoes what it got, then closes
                assertArrayEquals(payload, s.getInputStream().readAllBytes());
            }
        }
    }

    @Test
    public void manyShortConnectionsThroughTheExportFromFourClients() throws Exception {
        try (Peer server = server()) {
            int exportPort = FreePort.find();
            wsDriver("wsm", "ws://127.0.0.1:" + port(server) + "/echo", NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + exportPort);
            awaitExport("tcp://127.0.0.1:" + exportPort);
            List<java.util.concurrent.Future<List<String>>> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int client = c;
                clients.add(Payload.THREADS.submit(() -> {
                    List<String> failures = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        byte[] payload = new byte[8 * 1024];
                        Payload.fill(new SplittableRandom(client * 1000 + i), payload);
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), exportPort)) {
                            s.setSoTimeout((int) WAIT_MS);
                            s.getOutputStream().write(payload);
                            s.shutdownOutput();
                            byte[] back = s.getInputStream().readAllBytes();
                            if (!java.util.Arrays.equals(payload, back)) {
                                failures.add("client " + client + " exchange " + i + ": got " + back.length + " of " + payload.length + " bytes");
                            }
                        }
                    }
                    return failures;
                }));
            }
            List<String> failures = new ArrayList<>();
            for (java.util.concurrent.Future<List<String>> f : clients) {
                failures.addAll(f.get(120, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals("200 exchanges of 8 KiB through the export: " + failures.size() + " failed, the first: "
                    + failures.subList(0, Math.min(5, failures.size())), 0, failures.size());
        }
    }

    @Test
    public void aSlowConsumerHoldsTheServerBack() throws Exception {
        try (Peer server = server()) {
            int exportPort = FreePort.find();
            // Pings each second: a consumer that is behind holds the server's Pongs back with its messages, and must not
            // be taken for a server gone silent
            wsDriver("wsf", "ws://127.0.0.1:" + port(server) + "/echo", NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + exportPort,
                    "ping_interval_s", 1, "ping_timeout_s", 1);
            awaitExport("tcp://127.0.0.1:" + exportPort);
            int count = 1024;
            int size = 64 * 1024;
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), exportPort)) {
                s.setSoTimeout((int) WAIT_MS);
                s.setReceiveBufferSize(64 * 1024);
                s.getOutputStream().write(("cmd:flood:" + count + ":" + size).getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(3500); // the client reads nothing meanwhile
                String sent = server.lastLine("SENT");
                long sentWhilePaused = sent == null ? 0 : Long.parseLong(sent) * size;
                InputStream in = s.getInputStream();
                byte[] buf = new byte[size];
                long total = 0;
                for (int i = 0; i < count; i++) {
                    int n = in.readNBytes(buf, 0, size);
                    assertEquals("message " + i + " complete", size, n);
                    for (int j = 0; j < size; j += 4096) {
                        assertEquals("message " + i + " content", (byte) i, buf[j]);
                    }
                    total += n;
                }
                System.out.printf("websocket backpressure: the server had sent %d of %d bytes while the client paused 3.5 s;"
                        + " all %d bytes then arrived in order%n", sentWhilePaused, (long) count * size, total);
                assertTrue("the server was held back: it sent " + sentWhilePaused + " bytes of " + (long) count * size
                        + " while nobody read", sentWhilePaused < (long) count * size / 2);
            }
        }
    }
}
