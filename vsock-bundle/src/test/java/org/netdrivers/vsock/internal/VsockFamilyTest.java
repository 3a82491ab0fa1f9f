package org.netdrivers.vsock.internal;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.nio.NioConnect;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * Real AF_VSOCK sockets through the family classes, on a selector loop. Only CID 1 (local) is
 * ever connected to.
 */
public class VsockFamilyTest {
    /** @return true, after saying so in one line, where this system has no AF_VSOCK */
    private static boolean skippedWithoutVsock(String test) {
        String unsupported = VsockFamily.unsupportedBecause();
        if (unsupported != null) {
            System.out.println("SKIPPED " + test + ": " + unsupported);
        }
        return unsupported != null;
    }

    @Test
    public void aConnectToCid1CompletesWithinItsBound() throws Exception {
        if (skippedWithoutVsock("aConnectToCid1CompletesWithinItsBound")) {
            return;
        }
        try (SelectorLoop loop = new SelectorLoop("vsock-test", VsockFamily.PROVIDER)) {
            long t0 = System.nanoTime();
            try {
                SocketChannel ch = NioConnect.connect(loop, VsockFamily::openChannel,
                        AFVSOCKSocketAddress.ofPortAndCID(5999, AFVSOCKSocketAddress.VMADDR_CID_LOCAL), 3000).get(10, TimeUnit.SECONDS);
                // a kernel with vsock loopback and a listener on that port: a real connection
                System.out.println("vsock://1:5999 accepted a connection: " + ch);
                ch.close();
            } catch (ExecutionException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("vsock://1:5999 refused or timed out after " + ms + " ms: " + e.getCause());
                assertTrue("within the bound and a little (" + ms + " ms)", ms < 9000);
            }
        }
    }

    @Test
    public void theProviderOpensNonBlockingVsockChannels() throws Exception {
        if (skippedWithoutVsock("theProviderOpensNonBlockingVsockChannels")) {
            return;
        }
        try (SocketChannel ch = VsockFamily.openChannel()) {
            ch.configureBlocking(false);
            assertTrue(ch.provider() == VsockFamily.PROVIDER);
            if (ch.isBlocking()) {
                fail("still blocking");
            }
        }
    }

    @Test
    public void bytesGoBothWaysThroughALocalListenerWhereTheKernelServesOne() throws Exception {
        if (skippedWithoutVsock("bytesGoBothWaysThroughALocalListenerWhereTheKernelServesOne")) {
            return;
        }
        AFVSOCKSocketAddress local = AFVSOCKSocketAddress.ofPortAndCID(6001, AFVSOCKSocketAddress.VMADDR_CID_LOCAL);
        java.nio.channels.ServerSocketChannel server;
        try {
            server = VsockFamily.PROVIDER.openServerSocketChannel(local);
        } catch (java.io.IOException e) {
            System.out.println("SKIPPED bytesGoBothWaysThroughALocalListenerWhereTheKernelServesOne: this kernel serves no "
                    + "listener on CID 1 (vsock loopback, CONFIG_VSOCKETS_LOOPBACK): " + e);
            return;
        }
        int size = 8 * 1024 * 1024;
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        try (server; SelectorLoop loop = new SelectorLoop("vsock-test", VsockFamily.PROVIDER)) {
            java.util.concurrent.Future<Long> echoed = threads.submit(() -> {
                try (SocketChannel s = server.accept()) {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(64 * 1024);
                    long n = 0;
                    for (int r; (r = s.read(buf.clear())) >= 0; n += r) {
                        buf.flip();
                        while (buf.hasRemaining()) {
                            s.write(buf);
                        }
                    }
                    s.shutdownOutput();
                    return n;
                }
            });
            SocketChannel ch;
            try {
                ch = NioConnect.connect(loop, VsockFamily::openChannel, local, 3000).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                System.out.println("SKIPPED bytesGoBothWaysThroughALocalListenerWhereTheKernelServesOne: a listener on CID 1 "
                        + "could be bound, but a connect to it fails (no vsock loopback transport, CONFIG_VSOCKETS_LOOPBACK): "
                        + e.getCause());
                return;
            }
            org.netdrivers.support.nio.NioByteStream stream =
                    new org.netdrivers.support.nio.NioByteStream(loop, ch, "vsock test", 1024 * 1024).start();
            java.util.concurrent.CompletableFuture<Void> sent = java.util.concurrent.CompletableFuture.completedFuture(null);
            for (int i = 0; i < size / 65536; i++) {
                byte[] chunk = new byte[65536];
                java.util.Arrays.fill(chunk, (byte) i);
                sent = sent.thenCompose(v -> stream.send(java.nio.ByteBuffer.wrap(chunk)).toCompletableFuture());
            }
            sent.thenCompose(v -> stream.sendEof().toCompletableFuture());
            long received = 0;
            for (java.util.Optional<java.nio.ByteBuffer> c; (c = stream.receive().toCompletableFuture().get(30, TimeUnit.SECONDS)).isPresent(); ) {
                received += c.get().remaining();
            }
            org.junit.Assert.assertEquals(size, received);
            org.junit.Assert.assertEquals(Long.valueOf(size), echoed.get(30, TimeUnit.SECONDS));
            stream.close();
        } finally {
            threads.shutdownNow();
        }
    }
}
