package org.netdrivers.support.mina;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.api.ByteStream;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.PeerReset;

/** MinaByteStream over real loopback sockets, without a framework. */
public class MinaByteStreamTest {
    private static final long LIMIT = 1024 * 1024;
    private IoThreadsService io;
    private NioSocketConnector connector;
    private ExecutorService threads;

    @Before
    public void setUp() {
        threads = Executors.newCachedThreadPool();
        io = new IoThreadsService("test-io", 1);
        connector = new NioSocketConnector(io.processor());
        MinaTransports.configure(connector.getSessionConfig(), true, 0);
        connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "test stream", LIMIT), s -> { }));
    }

    @After
    public void tearDown() {
        connector.dispose(true);
        io.close();
        threads.shutdownNow();
    }

    private MinaByteStream connect(int port) {
        ConnectFuture f = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        f.awaitUninterruptibly(5000);
        return StreamIoHandler.stream(f.getSession());
    }

    @Test
    public void slowConsumerSuspendsReadingAndResumesPromptly() throws Exception {
        long size = 64L * 1024 * 1024;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<?> writer = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (long sent = 0; sent < size; sent += chunk.length) {
                        out.write(chunk);
                    }
                    s.shutdownOutput();
                    s.getInputStream().read();
                }
                return null;
            });
            MinaByteStream stream = connect(server.getLocalPort());
            Thread.sleep(500); // not receiving: the stream must stop reading at its limit
            long peakWhilePaused = stream.peakInFlight();
            long t0 = System.nanoTime();
            long received = 0;
            while (true) {
                Optional<ByteBuffer> chunk = stream.receive().toCompletableFuture().get(10, TimeUnit.SECONDS);
                if (chunk.isEmpty()) {
                    break;
                }
                received += chunk.get().remaining();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            stream.close();
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(size, received);
            assertTrue("held at most its limit while not receiving: " + peakWhilePaused, peakWhilePaused <= LIMIT);
            assertTrue("held something while not receiving: " + peakWhilePaused, peakWhilePaused > 0);
            assertTrue("peak " + stream.peakInFlight() + " <= limit", stream.peakInFlight() <= LIMIT);
            System.out.println("64 MiB received after a pause in " + ms + " ms");
            assertTrue("resumed reading without stalls (took " + ms + " ms for 64 MiB)", ms < 8000);
        }
    }

    @Test
    public void sendCompletesWhenWrittenAndHalfCloseReachesThePeer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<byte[]> peer = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] all = in.readAllBytes();
                    s.getOutputStream().write(all.length);
                    return all;
                }
            });
            MinaByteStream stream = connect(server.getLocalPort());
            for (int i = 0; i < 10; i++) {
                stream.send(ByteBuffer.wrap(new byte[] {(byte) i})).toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            stream.sendEof().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(10, peer.get(5, TimeUnit.SECONDS).length);
            Optional<ByteBuffer> answer = stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(10, answer.get().get());
            assertTrue("EOF after the peer closed", stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS).isEmpty());
            CompletableFuture<Void> late = stream.send(ByteBuffer.wrap(new byte[] {1})).toCompletableFuture();
            assertTrue(late.isCompletedExceptionally());
            stream.close();
            assertTrue(stream.closed().toCompletableFuture().isDone());
        }
    }

    @Test
    public void sendsToAPausedPeerCompleteOnceItReadsAgain() throws Exception {
        long size = 64L * 1024 * 1024;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<Long> reader = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    Thread.sleep(500);
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[64 * 1024];
                    long n = 0;
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        n += r;
                    }
                    return n;
                }
            });
            MinaByteStream stream = connect(server.getLocalPort());
            long t0 = System.nanoTime();
            for (long sent = 0; sent < size; sent += 64 * 1024) {
                stream.send(ByteBuffer.wrap(new byte[64 * 1024])).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            stream.sendEof().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(size, (long) reader.get(10, TimeUnit.SECONDS));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("64 MiB sent to a peer paused for 500 ms in " + ms + " ms");
            assertTrue("no stalls (took " + ms + " ms)", ms < 8000);
            stream.close();
        }
    }

    @Test
    public void suspensionFromAnotherThreadIsAppliedByTheSessionsThread() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            MinaByteStream stream = connect(server.getLocalPort());
            try (Socket peer = server.accept()) {
                stream.session().suspendRead(); // this thread is not the session's
                peer.getOutputStream().write(new byte[] {1, 2, 3});
                CompletableFuture<Optional<ByteBuffer>> chunk = stream.receive().toCompletableFuture();
                Thread.sleep(300);
                assertTrue("nothing is read while reading is suspended", !chunk.isDone());
                stream.session().resumeRead();
                assertEquals(3, chunk.get(5, TimeUnit.SECONDS).get().remaining());
            }
            stream.close();
        }
    }

    @Test
    public void secondPendingReceiveIsRefused() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ByteStream stream = connect(server.getLocalPort());
            CompletableFuture<Optional<ByteBuffer>> first = stream.receive().toCompletableFuture();
            CompletableFuture<Optional<ByteBuffer>> second = stream.receive().toCompletableFuture();
            assertTrue(second.isCompletedExceptionally());
            stream.close();
            assertTrue(first.isCompletedExceptionally());
        }
    }

    /**
     * A peer that resets the connection while a chunk is half written: that send fails, as does
     * the one queued behind it. Mina's close leaves the write under way undone (its send never
     * ended) and marks the queued ones as written; the stream fails both.
     */
    @Test
    public void sendsUnderWayWhenThePeerResetsFail() throws Exception {
        PeerReset.failsTheSendsUnderWay(threads, this::connect);
    }
}
