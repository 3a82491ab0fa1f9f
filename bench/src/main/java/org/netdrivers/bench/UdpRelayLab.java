package org.netdrivers.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.HashMap;
import java.util.Map;

import org.netdrivers.io.SelectorLoop;

/**
 * A UDP forward on one of the project's selector loops, outside the runtime: a loopback socket
 * whose every client address gets a socket connected to {@code target}, all on the same loop, so a
 * request and its answer each cross from one socket to the other on one thread. It measures what
 * a UDP export of a UDP driver would do with both sockets on one thread, which Mina cannot give
 * (its datagram acceptor reads and writes its clients' sessions on a thread of its own; a UDP
 * driver's session is on a processor), on the same pair, in the same run. Not part of the runtime:
 * no idle expiry, no hot swap, no limits (the bench makes one client per run).
 */
final class UdpRelayLab implements AutoCloseable {
    private final SelectorLoop loop;
    private final DatagramChannel listener;
    private final InetSocketAddress target;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024); // used on the loop only
    private final Map<SocketAddress, DatagramChannel> devices = new HashMap<>(); // on the loop only

    UdpRelayLab(int targetPort) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        target = new InetSocketAddress(loopback, targetPort);
        loop = new SelectorLoop("bench-udp-relay", java.nio.channels.spi.SelectorProvider.provider());
        listener = DatagramChannel.open();
        listener.bind(new InetSocketAddress(loopback, 0));
        listener.configureBlocking(false);
        java.util.concurrent.CompletableFuture<Void> registered = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> {
            try {
                loop.register(listener, SelectionKey.OP_READ, key -> fromClients());
                registered.complete(null);
            } catch (IOException e) {
                registered.completeExceptionally(e);
            }
        });
        registered.join();
    }

    int port() {
        return listener.socket().getLocalPort();
    }

    private void fromClients() {
        try {
            while (true) {
                buffer.clear();
                SocketAddress client = listener.receive(buffer);
                if (client == null) {
                    return;
                }
                buffer.flip();
                DatagramChannel device = devices.get(client);
                if (device == null) {
                    device = DatagramChannel.open();
                    device.connect(target);
                    device.configureBlocking(false);
                    DatagramChannel d = device;
                    loop.register(device, SelectionKey.OP_READ, key -> fromDevice(d, client));
                    devices.put(client, device);
                }
                device.write(buffer);
            }
        } catch (IOException e) {
            // the bench's own sockets on loopback: a failure shows as lost datagrams in the figures
        }
    }

    private void fromDevice(DatagramChannel device, SocketAddress client) {
        try {
            while (true) {
                buffer.clear();
                if (device.read(buffer) <= 0) {
                    return;
                }
                buffer.flip();
                listener.send(buffer, client);
            }
        } catch (IOException e) {
            // as above
        }
    }

    @Override
    public void close() throws IOException {
        loop.close();
        listener.close();
        for (DatagramChannel d : devices.values()) {
            d.close();
        }
    }
}
