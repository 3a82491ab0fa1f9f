package org.netdrivers.support.mina;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.netdrivers.io.Relay;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.RelayTest;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.net.TlsStores;

/**
 * Mina's TLS filter with this project's engine, over loopback: mutual TLS 1.3 on the I/O threads
 * (a keytool-made certificate that both sides present and trust), between a Mina connector and
 * acceptor, and between a JDK client and a TLS session relayed to a plain one, checked byte for
 * byte.
 */
public class TlsFilterTest {
    private static final String PASSWORD = "test-only";
    private static final int TOTAL = 16 * 1024 * 1024;
    /** Plaintext of a full TLS record. */
    private static final int RECORD = 16 * 1024;
    private static Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private IoThreadsService io;
    private NioSocketAcceptor acceptor;
    private NioSocketConnector connector;

    @BeforeClass
    public static void certificate() throws Exception {
        dir = Files.createTempDirectory("tls-filter-test");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "peer",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=peer", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                dir.resolve("peer.p12").toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(out, 0, p.waitFor());
    }

    @AfterClass
    public static void removeCertificate() throws Exception {
        Files.deleteIfExists(dir.resolve("peer.p12"));
        Files.deleteIfExists(dir);
    }

    @Before
    public void setUp() {
        io = new IoThreadsService("tls-test-io", 2);
    }

    @After
    public void tearDown() {
        if (connector != null) {
            connector.dispose(true);
        }
        if (acceptor != null) {
            acceptor.dispose(true);
        }
        io.close();
        threads.shutdownNow();
    }

    private static SSLContext context() throws Exception {
        String store = dir.resolve("peer.p12").toString();
        return TlsStores.context(new ConfigReader(Map.of("service.pid", "test")), "key_store", store, PASSWORD, "trust_store", store, PASSWORD);
    }

    /**
     * After the handshake a written chunk crosses as whole records in one go: each wrap and unwrap
     * takes as many records as its buffers hold, so the receiver is handed fewer messages than
     * the records sent. The JDK's engine makes one record a call; before, Mina's filter made each
     * record a message of its own, and a socket write of its own, each in a buffer sized for the
     * whole rest of the chunk.
     */
    @Test
    public void aChunkCrossesAsWholeRecordsInOneGoAndArrivesIntact() throws Exception {
        byte[] data = new byte[TOTAL];
        new Random(7).nextBytes(data);
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        AtomicInteger messages = new AtomicInteger();
        CompletableFuture<Void> all = new CompletableFuture<>();
        acceptor = new NioSocketAcceptor(io.processor());
        acceptor.setReuseAddress(true);
        MinaTransports.configure(acceptor.getSessionConfig(), true, 0);
        acceptor.getFilterChain().addLast("tls", new TlsFilter(context(), "TLSv1.3"));
        acceptor.setHandler(new IoHandlerAdapter() {
            private long bytes;

            @Override
            public void messageReceived(IoSession session, Object message) {
                IoBuffer buf = (IoBuffer) message;
                messages.incrementAndGet();
                bytes += buf.remaining();
                received.update(buf.buf());
                if (bytes == TOTAL) {
                    all.complete(null);
                }
            }

            @Override
            public void exceptionCaught(IoSession session, Throwable cause) {
                all.completeExceptionally(cause);
            }
        });
        acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        connector = new NioSocketConnector(io.processor());
        MinaTransports.configure(connector.getSessionConfig(), true, 0);
        connector.getFilterChain().addLast("tls", new TlsFilter(context(), "TLSv1.3"));
        connector.setHandler(new IoHandlerAdapter() {
            @Override
            public void exceptionCaught(IoSession session, Throwable cause) {
                all.completeExceptionally(cause);
            }
        });
        ConnectFuture connected = connector.connect(acceptor.getLocalAddress());
        assertTrue("connected within 10 s", connected.await(10, TimeUnit.SECONDS));
        IoSession session = connected.getSession();
        writeFrom(session, data, 0); // one chunk at a time, each once the one before is written

        all.get(60, TimeUnit.SECONDS);
        assertArrayEquals("the bytes arrived as sent", MessageDigest.getInstance("SHA-256").digest(data), received.digest());
        int records = (TOTAL + RECORD - 1) / RECORD;
        assertTrue(messages + " messages for " + records + " records: records were not batched", messages.get() * 2 <= records);
        session.closeNow().await(5, TimeUnit.SECONDS);
    }

    /**
     * A TLS session (TLS 1.3, which can half-close) and a plain one of the same I/O thread are
     * relayed like two plain ones: the relay reads and writes the TLS session's plaintext. 32 MiB
     * each way, each side ending its output after its last byte (the JDK client with its
     * close_notify, the plain peer with a TCP half-close); both sides see every byte and then the
     * end, and the relay stays within its window.
     */
    @Test
    public void aTlsSessionAndAPlainOneOfOneThreadAreRelayedBothWaysWithHalfCloses() throws Exception {
        int window = 1024 * 1024;
        CompletableFuture<Optional<Relay>> relay = new CompletableFuture<>();
        try (ServerSocketChannel peer = ServerSocketChannel.open()) {
            peer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            java.net.SocketAddress peerAddress = peer.getLocalAddress();
            connector = new NioSocketConnector(io.processor());
            MinaTransports.configure(connector.getSessionConfig(), true, 0);
            connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "device side", window), s -> { }));
            acceptor = new NioSocketAcceptor(io.processor());
            acceptor.setReuseAddress(true);
            MinaTransports.configure(acceptor.getSessionConfig(), true, 0);
            acceptor.getFilterChain().addLast("tls", new TlsFilter(context(), "TLSv1.3"));
            acceptor.setHandler(new StreamIoHandler(s -> MinaTransports.tlsHalfClosingStream(s, "client side", window), client -> {
                // once the handshake is done, on the client session's thread: the device session joins it
                ConnectFuture f = connector.connect(peerAddress, io.joinCallingThread());
                f.addListener(done -> relay.complete(io.relay(client, StreamIoHandler.stream(((ConnectFuture) done).getSession()),
                        window)));
            }, (session, cause) -> relay.completeExceptionally(new AssertionError("TLS refused: " + cause))));
            acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SSLSocket client = (SSLSocket) context().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    acceptor.getLocalAddress().getPort())) {
                client.setEnabledProtocols(new String[] {"TLSv1.3"});
                RelayTest.exchange(threads, peer, Channels.newChannel(client.getInputStream()), Channels.newChannel(client.getOutputStream()),
                        client::shutdownOutput);
            }
        }
        RelayTest.assertRelayed(relay, window);
    }

    private static void writeFrom(IoSession session, byte[] data, int offset) {
        if (offset >= data.length) {
            return;
        }
        int n = Math.min(MinaTransports.MAX_CHUNK, data.length - offset);
        WriteFuture written = session.write(IoBuffer.wrap(data, offset, n));
        written.addListener(f -> {
            if (((WriteFuture) f).isWritten()) {
                writeFrom(session, data, offset + n);
            }
        });
    }
}
