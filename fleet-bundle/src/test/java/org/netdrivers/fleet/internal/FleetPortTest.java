package org.netdrivers.fleet.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.apache.mina.core.service.SimpleIoProcessorPool;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.TlsStores;
import org.netdrivers.support.stream.QueuedStream;
import org.osgi.framework.FrameworkUtil;

/**
 * The fleet port and the fleet connector against each other, without a framework: Mina on a
 * processor pool of the test's, a registry of one in-memory echo endpoint, keytool-made certificates.
 */
public class FleetPortTest {
    private static final String PASSWORD = "changeit";
    private static Path dir;

    private SimpleIoProcessorPool<NioSession> processors;
    private ScheduledExecutorService timer;
    private java.util.concurrent.ExecutorService connectorWorkers;
    private FleetListener port;
    private FleetConnector connector;
    private InetSocketAddress address;

    private IoThreads io;

    @BeforeClass
    public static void certificates() throws Exception {
        dir = Files.createTempDirectory("fleet-port-test");
        keyStore("bench-a");
        keyStore("other");
        keytool("-exportcert", "-rfc", "-alias", "bench-a", "-keystore", dir.resolve("bench-a.p12").toString(), "-storepass", PASSWORD,
                "-file", dir.resolve("bench-a.pem").toString());
        keytool("-importcert", "-noprompt", "-alias", "bench-a", "-file", dir.resolve("bench-a.pem").toString(), "-storetype", "PKCS12",
                "-keystore", dir.resolve("trust.p12").toString(), "-storepass", PASSWORD);
        // a trust store that holds another runtime's certificate only: bench-a's port is not trusted with it
        keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", dir.resolve("other.p12").toString(), "-storepass", PASSWORD,
                "-file", dir.resolve("other.pem").toString());
        keytool("-importcert", "-noprompt", "-alias", "other", "-file", dir.resolve("other.pem").toString(), "-storetype", "PKCS12",
                "-keystore", dir.resolve("trust-other.p12").toString(), "-storepass", PASSWORD);
    }

    private static void keyStore(String cn) throws Exception {
        keytool("-genkeypair", "-alias", cn, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", dir.resolve(cn + ".p12").toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(out, 0, p.waitFor());
    }

    /** The context of key store {@code key} and the shared trust store, as the fleet's settings give it (from the files as they are). */
    private static java.util.function.Supplier<SSLContext> ssl(String key) throws Exception {
        ConfigReader config = new ConfigReader(Map.of("service.pid", "test"));
        Path keys = dir.resolve(key + ".p12");
        Path trust = dir.resolve("trust.p12");
        return new org.netdrivers.support.net.ReloadingTls(() -> TlsStores.context(config, "key_store", keys.toString(), PASSWORD,
                "trust_store", trust.toString(), PASSWORD), keys, trust)::current;
    }

    /** An in-memory echo: what is sent comes back. */
    static final class Echo extends QueuedStream {
        Echo() {
            super("echo", 4L * 1024 * 1024, 64 * 1024, false);
        }

        @Override
        public CompletionStage<Void> send(ByteBuffer chunk) {
            CompletableFuture<Void> refused = checkSend();
            if (refused != null) {
                return refused;
            }
            delivered(ByteBuffer.allocate(chunk.remaining()).put(chunk).flip());
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> sendEof() {
            endOfInput();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        protected void suspendReading() {
        }

        @Override
        protected void resumeReading() {
        }

        @Override
        protected void closeTransport() {
        }
    }

    @Before
    public void fleetPort() throws Exception {
        processors = new SimpleIoProcessorPool<>(NioProcessor.class, 2);
        timer = Executors.newSingleThreadScheduledExecutor();
        connectorWorkers = Executors.newCachedThreadPool();
        io = new IoThreads() {
            @Override
            public org.apache.mina.core.service.IoProcessor<NioSession> processor() {
                return processors;
            }

            @Override
            public IoSessionInitializer<ConnectFuture> joinCallingThread() {
                return (s, f) -> { };
            }

            @Override
            public org.netdrivers.io.SelectorLoop loop() {
                throw new UnsupportedOperationException();
            }

            @Override
            public org.netdrivers.io.SelectorLoop nextLoop() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<org.netdrivers.io.Relay> relay(org.netdrivers.io.TransportStream a, org.netdrivers.io.TransportStream b,
                    int window) {
                return Optional.empty();
            }

            @Override
            public java.util.concurrent.Executor acceptorExecutor() {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.util.concurrent.Executor connectorExecutor() {
                return connectorWorkers;
            }

            @Override
            public void disposeLater(org.apache.mina.core.service.IoService service, long delayMs) {
                service.dispose();
            }
        };
        StreamRegistry registry = new StreamRegistry() {
            @Override
            public List<Endpoint> endpoints() {
                return List.of();
            }

            @Override
            public Optional<Endpoint> endpoint(String name) {
                return Optional.empty();
            }

            @Override
            public List<Export> exports() {
                return List.of();
            }

            @Override
            public CompletionStage<ByteStream> open(String name) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CompletionStage<ByteStream> openMatching(String filter) {
                return filter.contains("(network.name=dut)") ? CompletableFuture.completedFuture(new Echo())
                        : CompletableFuture.failedFuture(new NoSuchElementException(filter));
            }
        };
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            free = s.getLocalPort();
        }
        address = new InetSocketAddress("127.0.0.1", free);
        port = new FleetListener(ListenAddress.parse("tcp://127.0.0.1:" + free), io, ssl("bench-a"), Set.of(),
                FrameworkUtil.createFilter("(network.fleet=true)"), registry, timer);
        port.bind();
        connector = new FleetConnector(io, ssl("bench-a"), Set.of(), timer);
    }

    @After
    public void stop() {
        connector.close();
        port.close();
        processors.dispose();
        timer.shutdownNow();
        connectorWorkers.shutdown();
    }

    @Test
    public void anOpenedStreamCarriesBytesBothWays() throws Exception {
        ByteStream s = connector.open(address, "dut", "test bench-x/dut").toCompletableFuture().get(10, TimeUnit.SECONDS);
        int size = 8 * 1024 * 1024;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        Random random = new Random(1);
        CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);
        for (int i = 0; i < size / 65536; i++) {
            byte[] chunk = new byte[65536];
            random.nextBytes(chunk);
            sent.update(chunk);
            writes = writes.thenCompose(v -> s.send(ByteBuffer.wrap(chunk)));
        }
        long n = 0;
        while (n < size) {
            ByteBuffer b = s.receive().toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
            n += b.remaining();
            got.update(b);
        }
        writes.get(10, TimeUnit.SECONDS);
        assertEquals(HexFormat.of().formatHex(sent.digest()), HexFormat.of().formatHex(got.digest()));
        // half-close: this side's end reaches the echo, whose end comes back; the stream stays open meanwhile
        s.sendEof().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals("the echo's end after ours", Optional.empty(), s.receive().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals(1, port.served());
        s.close();
    }

    /**
     * An open whose owner took the connection and the open line but has not answered when the
     * fleet stops: it fails with the fleet's stop, at once rather than at the handshake's bound
     * (whose timer stops with the fleet), and its connection is closed.
     */
    @Test
    public void anOpenWaitingForItsOwnersAnswerWhenTheFleetStopsFailsAndItsConnectionCloses() throws Exception {
        javax.net.ssl.SSLServerSocket silent = (javax.net.ssl.SSLServerSocket) ssl("bench-a").get().getServerSocketFactory()
                .createServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress());
        java.util.concurrent.ExecutorService owner = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (silent) {
            silent.setNeedClientAuth(true);
            java.util.concurrent.CountDownLatch lineRead = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.Future<String> ownerSaw = owner.submit(() -> {
                try (java.net.Socket s = silent.accept()) {
                    s.setSoTimeout(15_000);
                    java.io.InputStream in = s.getInputStream();
                    int b;
                    while ((b = in.read()) >= 0 && b != '\n') {
                        // the open line; it is never answered
                    }
                    lineRead.countDown();
                    try {
                        return in.read() < 0 ? "closed" : "more bytes";
                    } catch (java.net.SocketTimeoutException e) {
                        return "still open after 15 s";
                    } catch (java.io.IOException e) {
                        return "closed"; // a reset, or the TLS layer's end
                    }
                }
            });
            CompletableFuture<org.netdrivers.support.mina.MinaByteStream> open = connector
                    .open(new InetSocketAddress("127.0.0.1", silent.getLocalPort()), "dut", "test silent/dut").toCompletableFuture();
            assertTrue("the owner read the open line", lineRead.await(10, TimeUnit.SECONDS));
            connector.close();
            try {
                open.get(5, TimeUnit.SECONDS);
                throw new AssertionError("opened");
            } catch (ExecutionException e) {
                assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("the fleet is stopping"));
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the open still waited for its owner's answer 5 s after the fleet stopped");
            }
            assertEquals("the owner saw its connection closed", "closed", ownerSaw.get(20, TimeUnit.SECONDS));
        } finally {
            owner.shutdownNow();
        }
    }

    @Test
    public void anUnknownNameFailsTheOpenWithTheOwnersReason() throws Exception {
        try {
            connector.open(address, "nosuch", "test bench-x/nosuch").toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw new AssertionError("opened");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("refused by the owner: unknown no shared endpoint nosuch here"));
        }
        assertEquals(1, port.refused());
    }

    /** With allow set, an owner whose certificate is not in it is not asked for anything. */
    @Test
    public void anOwnerNotInAllowIsNotToldTheName() throws Exception {
        FleetConnector picky = new FleetConnector(io, ssl("bench-a"), Set.of(new javax.security.auth.x500.X500Principal("CN=bench-b")
                .getName(javax.security.auth.x500.X500Principal.CANONICAL)), timer);
        try {
            picky.open(address, "dut", "test bench-x/dut").toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw new AssertionError("opened");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("the owner's certificate subject CN=bench-a is not in allow"));
        } finally {
            picky.close();
        }
        assertEquals("the owner served nothing", 0, port.served());
    }

    /**
     * A trust store renewed in place reaches the fleet's next stream once its files are checked
     * (the fleet's timer does that every 5 s): the connector's TLS 1.3 filter takes the context as
     * it is when each session starts.
     */
    @Test
    public void aTrustStoreRenewedInPlaceAppliesToTheNextStream() throws Exception {
        Path trust = Files.copy(dir.resolve("trust-other.p12"), dir.resolve("renewed-trust.p12"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path keys = dir.resolve("bench-a.p12");
        ConfigReader config = new ConfigReader(Map.of("service.pid", "test"));
        org.netdrivers.support.net.ReloadingTls tls = new org.netdrivers.support.net.ReloadingTls(() -> TlsStores.context(config,
                "key_store", keys.toString(), PASSWORD, "trust_store", trust.toString(), PASSWORD), keys, trust);
        FleetConnector renewing = new FleetConnector(io, tls::current, Set.of(), timer);
        try {
            try {
                renewing.open(address, "dut", "test bench-x/dut").toCompletableFuture().get(10, TimeUnit.SECONDS);
                throw new AssertionError("opened, though the trust store does not hold the owner's certificate");
            } catch (ExecutionException untrusted) {
                // the handshake failed: expected
            }
            Files.copy(dir.resolve("trust.p12"), trust, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertTrue("the renewed file loaded", tls.check().reloaded());
            ByteStream s = renewing.open(address, "dut", "test bench-x/dut").toCompletableFuture().get(10, TimeUnit.SECONDS);
            s.close();
            assertEquals("the owner served the stream after the renewal", 1, port.served());
        } finally {
            renewing.close();
        }
    }

    @Test
    public void aClientThatSaysNothingIsClosedAfterTheHandshakeBound() throws Exception {
        long start = System.nanoTime();
        try (java.net.Socket idle = new java.net.Socket(address.getAddress(), address.getPort())) {
            idle.setSoTimeout((int) FleetProtocol.HANDSHAKE_MS * 2);
            int r;
            try {
                r = idle.getInputStream().read();
            } catch (java.net.SocketException reset) {
                r = -1;
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals("closed", -1, r);
            // not before the bound; not for ever (the read above would time out after twice the bound)
            assertTrue("closed after " + ms + " ms, not before the bound", ms >= FleetProtocol.HANDSHAKE_MS - 100);
        }
        assertEquals(1, port.refused());
    }
}
