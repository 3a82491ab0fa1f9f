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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.netdrivers.io.SelectorLoop;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * NioByteStream over Unix sockets: junixsocket's channels and selector (abstract names) and the
 * JDK's (paths), against a JDK Unix server.
 */
public class UnixNioTest {

    @Test
    public void endOfStreamFromThePeerStopsReadingWithoutSpinning() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        Path sock = Files.createTempDirectory("nd-unit").resolve("s.sock");
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
        Path sock = Files.createTempDirectory("nd-unit").resolve("h.sock");
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
