package org.netdrivers.itests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A plain TCP echo server on loopback, for tests: each connection echoes until EOF, then half-closes. */
final class EchoServer implements AutoCloseable {
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-echo-server");
        t.setDaemon(true);
        return t;
    });
    final AtomicInteger accepted = new AtomicInteger();
    /** Connections that read their client's end of stream (counted before this side ends its own output). */
    final AtomicInteger endsOfStream = new AtomicInteger();

    EchoServer(InetAddress address) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(address, 0), 512);
        threads.execute(this::acceptLoop);
    }

    static EchoServer loopback() throws IOException {
        return new EchoServer(InetAddress.getLoopbackAddress());
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                threads.execute(() -> echo(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void echo(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
            endsOfStream.incrementAndGet();
            s.shutdownOutput();
        } catch (IOException e) {
            // the peer went away; nothing to echo any more
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
