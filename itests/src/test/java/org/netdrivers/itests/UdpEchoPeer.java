package org.netdrivers.itests;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicLong;

/** A UDP echo peer on loopback, for tests: every datagram goes back to its sender, unchanged. */
final class UdpEchoPeer implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;
    final AtomicLong received = new AtomicLong();

    UdpEchoPeer() throws SocketException {
        this(0);
    }

    /** An echo peer on loopback port {@code port} (0: any free port). */
    UdpEchoPeer(int port) throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        socket.setReceiveBufferSize(4 * 1024 * 1024);
        thread = new Thread(this::run, "test-udp-echo");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void run() {
        byte[] buf = new byte[65_536];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                received.incrementAndGet();
                socket.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
