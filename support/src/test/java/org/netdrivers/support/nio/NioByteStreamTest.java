package org.netdrivers.support.nio;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.PeerReset;

/** NioByteStream over JDK TCP channels on loopback (the Unix and vsock drivers use the same code over junixsocket). */
public class NioByteStreamTest {
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private SelectorLoop loop;

    @After
    public void tearDown() {
        if (loop != null) {
            loop.close();
        }
        threads.shutdownNow();
    }

    private NioByteStream connect(int port, long limit) throws Exception {
        loop = new SelectorLoop("test-loop", SelectorProvider.provider());
        SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return new NioByteStream(loop, ch, "test stream", limit).start();
    }

    @Test
    public void bulkBothWaysWithHalfCloseAndABoundedReceiveSide() throws Exception {
        long size = 32L * 1024 * 1024;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<Long> peer = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    Future<?> writer = threads.submit(() -> {
                        OutputStream out = s.getOutputStream();
                        byte[] chunk = new byte[64 * 1024];
                        for (long sent = 0; sent < size; sent += chunk.length) {
                            out.write(chunk);
                        }
                        s.shutdownOutput();
                        return null;
                    });
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[64 * 1024];
                    long n = 0;
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        n += r;
                    }
                    writer.get();
                    return n;
                }
            });
            NioByteStream stream = connect(server.getLocalPort(), 1024 * 1024);
            Thread.sleep(300); // not receiving yet: the stream stops reading at its bound
            assertTrue("bounded while not receiving: " + stream.peakInFlight(), stream.peakInFlight() <= 1024 * 1024);
            Future<?> sender = threads.submit(() -> {
                for (long sent = 0; sent < size; sent += 64 * 1024) {
                    stream.send(ByteBuffer.allocate(64 * 1024)).toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
                stream.sendEof().toCompletableFuture().get(10, TimeUnit.SECONDS);
                return null;
            });
            long received = 0;
            while (true) {
                Optional<ByteBuffer> chunk = stream.receive().toCompletableFuture().get(10, TimeUnit.SECONDS);
                if (chunk.isEmpty()) {
                    break;
                }
                received += chunk.get().remaining();
            }
            sender.get(30, TimeUnit.SECONDS);
            assertEquals(size, received);
            assertEquals(size, (long) peer.get(30, TimeUnit.SECONDS));
            assertTrue(stream.peakInFlight() <= 1024 * 1024);
            stream.close();
            stream.closed().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertTrue(!stream.channel().isOpen() || waitClosed(stream));
        }
    }

    private static boolean waitClosed(NioByteStream s) throws InterruptedException {
        for (int i = 0; i < 100 && s.channel().isOpen(); i++) {
            Thread.sleep(10);
        }
        return !s.channel().isOpen();
    }

    @Test
    public void aResetFailsThePendingReceiveWithTheCause() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<?> peer = threads.submit(() -> {
                Socket s = server.accept();
                s.setSoLinger(true, 0);
                s.close(); // RST
                return null;
            });
            NioByteStream stream = connect(server.getLocalPort(), 1024 * 1024);
            peer.get(5, TimeUnit.SECONDS);
            try {
                Optional<ByteBuffer> r = stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS);
                assertTrue("end of stream or a failure, never data", r.isEmpty());
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause().toString(), e.getCause() instanceof java.io.IOException);
            }
            stream.close();
        }
    }

    /** A peer that resets while a chunk is half written: that send fails, as does the one queued behind it. */
    @Test
    public void sendsUnderWayWhenThePeerResetsFail() throws Exception {
        PeerReset.failsTheSendsUnderWay(threads, port -> connect(port, 1024 * 1024));
    }
}
