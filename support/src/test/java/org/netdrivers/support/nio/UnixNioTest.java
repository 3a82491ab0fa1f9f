package org.netdrivers.support.nio;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.netdrivers.io.SelectorLoop;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * NioByteStream over Unix sockets: junixsocket's channels and selector (abstract names) and the
 * JDK's (paths), against a JDK Unix server.
 */
public class UnixNioTest {
    /** Folders for the socket files (short paths, in the system's temporary folder), deleted after each test. */
    @Rule
    public final TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void endOfStreamFromThePeerStopsReadingWithoutSpinning() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        Path sock = temp.newFolder().toPath().resolve("s.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                SelectorLoop loop = new SelectorLoop("unix-test", AFUNIXSelectorProvider.provider())) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Future<String> peer = threads.submit(() -> {
                try (SocketChannel s = server.accept()) {
                    Channels.newOutputStream(s).write("hello".getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return new String(Channels.newInputStream(s).readAllBytes(), StandardCharsets.UTF_8);
                }
            });
            AFUNIXSocketChannel ch = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock));
            NioByteStream stream = new NioByteStream(loop, ch, "unix test", 1 << 20).start();
            Optional<ByteBuffer> first = stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals("hello", StandardCharsets.UTF_8.decode(first.get()).toString());
            assertTrue(stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS).isEmpty());
            long cpu0 = cpuOf("unix-test");
            Thread.sleep(500);
            long cpu1 = cpuOf("unix-test");
            assertTrue("the loop idles after end of stream: " + (cpu1 - cpu0) / 1_000_000 + " ms of CPU in 500 ms",
                    cpu1 - cpu0 < 100_000_000L);
            stream.send(ByteBuffer.wrap("back".getBytes(StandardCharsets.UTF_8))).toCompletableFuture().get(5, TimeUnit.SECONDS);
            stream.sendEof().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals("back", peer.get(5, TimeUnit.SECONDS));
            stream.close();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    public void halfCloseFromTheClientThenTheAnswer() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        Path sock = temp.newFolder().toPath().resolve("h.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                SelectorLoop loop = new SelectorLoop("unix-test-2", java.nio.channels.spi.SelectorProvider.provider())) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Future<String> peer = threads.submit(() -> {
                try (SocketChannel s = server.accept()) {
                    String q = new String(Channels.newInputStream(s).readAllBytes(), StandardCharsets.UTF_8);
                    Channels.newOutputStream(s).write(("answer to " + q).getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return q;
                }
            });
            SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock));
            NioByteStream stream = new NioByteStream(loop, ch, "unix test", 1 << 20).start();
            stream.send(ByteBuffer.wrap("question".getBytes(StandardCharsets.UTF_8))).toCompletableFuture().get(5, TimeUnit.SECONDS);
            stream.sendEof().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals("question", peer.get(5, TimeUnit.SECONDS));
            StringBuilder answer = new StringBuilder();
            while (true) {
                Optional<ByteBuffer> c = stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS);
                if (c.isEmpty()) {
                    break;
                }
                answer.append(StandardCharsets.UTF_8.decode(c.get()));
            }
            assertEquals("answer to question", answer.toString());
            stream.close();
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A peer that answers and closes while the stream is not receiving: poll then reports a
     * hang-up with bytes unread, and junixsocket's selector drops the key. The stream reads the
     * rest without it, then ends.
     */
    @Test
    public void aPeerThatAnswersAndClosesWhileTheStreamIsNotReadingIsReadToTheEnd() throws Exception {
        AFUNIXSocketAddress address = AFUNIXSocketAddress.inAbstractNamespace("nd-unit-hangup-" + ProcessHandle.current().pid());
        int size = 256 * 1024; // fits in what the stream reads ahead (at most 256 KiB) plus the socket's buffer
        ExecutorService threads = Executors.newCachedThreadPool();
        try (org.newsclub.net.unix.AFUNIXServerSocketChannel server = org.newsclub.net.unix.AFUNIXServerSocketChannel.open();
                SelectorLoop loop = new SelectorLoop("unix-test-3", AFUNIXSelectorProvider.provider())) {
            server.bind(address);
            Future<Void> peer = threads.submit(() -> {
                try (SocketChannel s = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(size);
                    for (int i = 0; i < size; i++) {
                        b.put((byte) i);
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        s.write(b);
                    }
                }
                return null;
            });
            NioByteStream stream = new NioByteStream(loop, AFUNIXSocketChannel.open(address), "unix test", 256 * 1024).start();
            peer.get(10, TimeUnit.SECONDS); // written and closed: most of it is still unread
            long received = 0;
            while (true) {
                Optional<ByteBuffer> c = stream.receive().toCompletableFuture().get(5, TimeUnit.SECONDS);
                if (c.isEmpty()) {
                    break;
                }
                for (ByteBuffer b = c.get(); b.hasRemaining(); received++) {
                    assertEquals("byte " + received, (byte) received, b.get());
                }
            }
            assertEquals(size, received);
            stream.close();
        } finally {
            threads.shutdownNow();
        }
    }

    private static long cpuOf(String threadName) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(threadName)) {
                return mx.getThreadCpuTime(t.getId());
            }
        }
        return -1;
    }
}
