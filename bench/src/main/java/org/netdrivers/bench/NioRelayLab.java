package org.netdrivers.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

import org.netdrivers.io.SelectorLoop;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.stream.Bridge;
import org.netdrivers.support.nio.NioByteStream;
import org.netdrivers.support.nio.NioConnect;

/**
 * The project's own selector-loop relay (the io bundle's, which Unix exports use) on a TCP pair,
 * outside the runtime: a loopback listener whose every connection is connected to {@code target}
 * from the same loop and spliced there. It measures what the TCP exports would do on that loop
 * instead of Mina's processors, on the same pair, in the same run: the figure to weigh Mina's
 * relay against. Not part of the runtime.
 */
final class NioRelayLab implements AutoCloseable {
    private static final int LIMIT = 1024 * 1024;

    private final IoThreadsService io;
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final AtomicLong relayed = new AtomicLong();
    private final AtomicLong bridged = new AtomicLong();

    NioRelayLab(int targetPort, int threads) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        target = new InetSocketAddress(loopback, targetPort);
        io = new IoThreadsService("bench-nio-relay", threads);
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(loopback, 0), 256);
        SelectorLoop acceptLoop = io.nextLoop();
        acceptLoop.execute(() -> {
            try {
                acceptLoop.register(server, SelectionKey.OP_ACCEPT, key -> acceptAll());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    int port() {
        return server.socket().getLocalPort();
    }

    /** @return "N relayed, M bridged": whether the connections were spliced on their loop */
    String counts() {
        return relayed.get() + " relayed, " + bridged.get() + " bridged";
    }

    private void acceptAll() {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (client == null) {
                return;
            }
            SelectorLoop home = io.nextLoop();
            home.execute(() -> serve(home, client));
        }
    }

    private void serve(SelectorLoop home, SocketChannel client) {
        NioByteStream c;
        try {
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c = new NioByteStream(home, client, "lab client", LIMIT).start();
        } catch (IOException e) {
            NioConnect.closeQuietly(client);
            return;
        }
        NioConnect.connect(home, SocketChannel::open, target, 10_000).whenComplete((device, error) -> {
            if (error != null) {
                c.close();
                return;
            }
            try {
                device.setOption(StandardSocketOptions.TCP_NODELAY, true);
            } catch (IOException e) {
                // the relay reports a dead channel itself
            }
            NioByteStream d = new NioByteStream(home, device, "lab device", LIMIT).start();
            if (io.relay(c, d, LIMIT).isPresent()) {
                relayed.incrementAndGet();
            } else {
                bridged.incrementAndGet();
                new Bridge(c, d).start();
            }
        });
    }

    @Override
    public void close() throws IOException {
        server.close();
        io.close();
    }
}
