package org.netdrivers.vsock.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.nio.NioByteStream;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * The vsock driver's service object and stream code over the seam that works on every Linux
 * machine: a Unix-domain socket, reached through junixsocket's AF_UNIX channel (the same
 * {@code AFSocketChannel} base class as the driver's AF_VSOCK channel) on junixsocket's selector.
 * Only the socket family differs from the runtime: the connect, the stream, its half-closes and its
 * read-ahead bound are the driver's own.
 */
public class VsockConnectorOverUnixTest {
    private static final int BUFFER_BYTES = 256 * 1024;

    /** The device's socket file's folder (a short path, in the system's temporary folder), deleted after each test. */
    @Rule
    public final TemporaryFolder temp = new TemporaryFolder();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private Path socket;
    private ServerSocketChannel device;
    private VsockConnector driver;

    @Before
    public void setUp() throws Exception {
        socket = temp.newFolder().toPath().resolve("device.sock");
        device = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        device.bind(UnixDomainSocketAddress.of(socket));
        Map<String, Object> config = Map.of("service.pid", "org.netdrivers.vsock~seam", "network.name", "vm",
                VsockConfig.CID, 3L, VsockConfig.PORT, 1024L, VsockConfig.BUFFER_BYTES, BUFFER_BYTES,
                VsockConfig.CONNECT_TIMEOUT_MS, 3000);
        ConfigReader reader = new ConfigReader(config);
        driver = new VsockConnector(DriverSettings.read(reader, "vsock"), VsockSettings.read(reader),
                new SelectorLoop("vsock-seam", AFUNIXSelectorProvider.provider()), AFUNIXSocketChannel::open,
                AFUNIXSocketAddress.of(socket));
    }

    @After
    public void tearDown() throws Exception {
        driver.dispose(new StreamClosedException("test over"));
        device.close();
        threads.shutdownNow();
    }

    @Test
    public void sixtyFourMebibytesEachWayAtOnceWithTheirDigestsThenBothEnds() throws Exception {
        int size = 64 * 1024 * 1024;
        Future<String[]> peer = threads.submit(() -> {
            try (SocketChannel s = device.accept()) {
                Future<String> written = threads.submit(() -> {
                    String sha = write(s, 7, size);
                    s.shutdownOutput();
                    return sha;
                });
                String read = read(s);
                return new String[] {written.get(), read};
            }
        });
        ByteStream stream = connect();
        CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> send(stream, 11, size), threads);
        String received = receiveAll(stream);
        String[] device = peer.get(60, TimeUnit.SECONDS);
        assertEquals("what the device wrote arrived whole and in order", device[0], received);
        assertEquals("what the stream sent arrived whole and in order", sent.get(60, TimeUnit.SECONDS), device[1]);
        System.out.println("64 MiB each way through the vsock driver's stream over a Unix socket: SHA-256 " + received
                + " / " + device[1]);
        stream.close();
    }

    @Test
    public void eachSideMayEndItsDirectionAndStillReceive() throws Exception {
        // the stream ends first: the device reads to the end, then answers
        Future<String> answered = threads.submit(() -> {
            try (SocketChannel s = device.accept()) {
                String question = read(s);
                write(s, 3, 1024 * 1024);
                s.shutdownOutput();
                return question;
            }
        });
        ByteStream first = connect();
        String question = send(first, 5, 2 * 1024 * 1024);
        assertEquals(digestOf(3, 1024 * 1024), receiveAll(first));
        assertEquals(question, answered.get(30, TimeUnit.SECONDS));
        first.close();

        // the device ends first: the stream reads to the end, then answers
        Future<String> read = threads.submit(() -> {
            try (SocketChannel s = device.accept()) {
                write(s, 9, 1024 * 1024);
                s.shutdownOutput();
                return read(s);
            }
        });
        ByteStream second = connect();
        assertEquals(digestOf(9, 1024 * 1024), receiveAll(second));
        assertEquals(send(second, 13, 2 * 1024 * 1024), read.get(30, TimeUnit.SECONDS));
        second.close();
    }

    @Test
    public void aStreamNotReceivingReadsAtMostItsBufferAheadThenDeliversAll() throws Exception {
        int size = 32 * 1024 * 1024;
        Future<String> written = threads.submit(() -> {
            try (SocketChannel s = device.accept()) {
                String sha = write(s, 17, size);
                s.shutdownOutput();
                read(s);
                return sha;
            }
        });
        ByteStream stream = connect();
        NioByteStream nio = (NioByteStream) stream;
        Thread.sleep(500); // the device writes as fast as it can; nobody receives
        long ahead = nio.peakInFlight();
        System.out.println("read ahead while not receiving: " + ahead + " bytes (buffer_bytes " + BUFFER_BYTES + ")");
        assertTrue("read ahead at most buffer_bytes: " + ahead, ahead <= BUFFER_BYTES);
        assertTrue("the device is held up by the socket, not done: " + written.isDone(), !written.isDone());
        // the stream ends its direction first: once the device has written everything and ended
        // its own, poll reports a hang-up (both directions shut) while the last bytes are still
        // unread; junixsocket's selector then drops the key, and the stream must read the rest
        // without it (before that was handled, the last bytes and the end never came)
        stream.sendEof().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals("then everything arrives, in order", digestOf(17, size), receiveAll(stream));
        assertEquals(digestOf(17, size), written.get(30, TimeUnit.SECONDS));
        assertTrue("still at most buffer_bytes ahead: " + nio.peakInFlight(), nio.peakInFlight() <= BUFFER_BYTES);
        stream.close();
    }

    private ByteStream connect() throws Exception {
        return driver.connect().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Writes {@code size} pseudo-random bytes of {@code seed}; returns their SHA-256. */
    private static String write(SocketChannel s, long seed, int size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] chunk = new byte[64 * 1024];
        for (int left = size; left > 0; left -= chunk.length) {
            random.nextBytes(chunk);
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, Math.min(left, chunk.length));
            sha.update(b.duplicate());
            while (b.hasRemaining()) {
                s.write(b);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Reads to end of stream; returns the SHA-256 of what came. */
    private static String read(SocketChannel s) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (s.read(buf.clear()) >= 0) {
            sha.update(buf.flip());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String digestOf(long seed, int size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] chunk = new byte[64 * 1024];
        for (int left = size; left > 0; left -= chunk.length) {
            random.nextBytes(chunk);
            sha.update(chunk, 0, Math.min(left, chunk.length));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Sends {@code size} pseudo-random bytes of {@code seed}, one chunk at a time, then its end; returns their SHA-256. */
    private static String send(ByteStream stream, long seed, int size) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            Random random = new Random(seed);
            for (int left = size; left > 0; left -= 64 * 1024) {
                byte[] chunk = new byte[Math.min(left, 64 * 1024)];
                random.nextBytes(chunk);
                sha.update(chunk);
                stream.send(ByteBuffer.wrap(chunk)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            stream.sendEof().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return HexFormat.of().formatHex(sha.digest());
        } catch (Exception e) {
            throw new IllegalStateException("send failed", e);
        }
    }

    private static String receiveAll(ByteStream stream) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Optional<ByteBuffer> c; (c = stream.receive().toCompletableFuture().get(30, TimeUnit.SECONDS)).isPresent(); ) {
            sha.update(c.get());
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
