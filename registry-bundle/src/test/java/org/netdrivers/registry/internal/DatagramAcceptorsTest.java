package org.netdrivers.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.io.internal.IoThreadsService;

/**
 * UDP exports on the registry's shared datagram acceptors, over real sockets on loopback: as many
 * acceptor threads as the pool's size at most; an export whose port every shared acceptor holds
 * (on other addresses) gets one of its own; every export answers its own clients from its own
 * address, whichever acceptor it shares; and the threads end with their acceptors.
 */
public class DatagramAcceptorsTest {
    private IoThreadsService io;
    private DatagramAcceptors acceptors;
    private final List<DatagramAcceptors.Binding> bound = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        io = new IoThreadsService("dgram-test", 1);
        acceptors = new DatagramAcceptors(io, 2, () -> 60, () -> 0);
        awaitLoops(0, "no datagram acceptor of an earlier test running");
    }

    @After
    public void tearDown() {
        bound.forEach(DatagramAcceptors.Binding::close);
        acceptors.close();
        io.close();
    }

    /** Answers every datagram with {@code name:} and the datagram's text. */
    private static final class Answer extends IoHandlerAdapter {
        private final String name;
        /** SO_RCVBUF of the export's socket, as its last new session saw it. */
        volatile int receiveBuffer = -1;

        @Override
        public void sessionCreated(IoSession session) {
            receiveBuffer = ((org.apache.mina.transport.socket.DatagramSessionConfig) session.getConfig()).getReceiveBufferSize();
        }

        Answer(String name) {
            this.name = name;
        }

        @Override
        public void messageReceived(IoSession session, Object message) {
            IoBuffer in = (IoBuffer) message;
            byte[] text = new byte[in.remaining()];
            in.get(text);
            session.write(IoBuffer.wrap((name + ":" + new String(text, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII)));
        }
    }

    private InetSocketAddress bind(String ip, int port, String name) throws Exception {
        InetSocketAddress at = new InetSocketAddress(InetAddress.getByName(ip), port);
        bound.add(acceptors.bind(at, new Answer(name)));
        return at;
    }

    private static void assertAnswered(DatagramSocket client, InetSocketAddress export, String name, String text) throws Exception {
        byte[] out = text.getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(out, out.length, export));
        DatagramPacket in = new DatagramPacket(new byte[128], 128);
        client.receive(in);
        assertEquals(name + ":" + text, new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII));
        assertEquals("the address that answered " + name, export, in.getSocketAddress());
    }

    /** Datagram acceptors' loops running now (Mina names their threads while they run). */
    private static long loops() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("NioDatagramAcceptor")).count();
    }

    private static void awaitLoops(long expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (loops() != expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(what, expected, loops());
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    @Test
    public void exportsShareThePoolsThreadsAndAPortEveryAcceptorHoldsGetsOneOfItsOwn() throws Exception {
        int p = freeUdpPort();
        int q = freeUdpPort();
        int r = freeUdpPort();
        List<InetSocketAddress> at = new ArrayList<>();
        List<String> names = List.of("a", "b", "c", "d", "e");
        at.add(bind("127.0.0.1", p, "a")); // a new acceptor
        at.add(bind("127.0.0.1", q, "b")); // a second one, the pool's last
        at.add(bind("127.0.0.1", r, "c")); // shares one
        at.add(bind("127.0.0.2", p, "d")); // port p again: the acceptor that does not hold it
        awaitLoops(2, "two exports more than the pool's two acceptors: two threads");
        at.add(bind("127.0.0.3", p, "e")); // both hold p: one of its own
        awaitLoops(3, "an export of a port both shared acceptors hold: a thread of its own");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(5000);
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < at.size(); i++) {
                    assertAnswered(client, at.get(i), names.get(i), "round-" + round);
                }
            }
        }
        bound.remove(4).close();
        awaitLoops(2, "the export of its own stopped: its acceptor's thread ends");
        bound.remove(0).close();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(300);
            client.send(new DatagramPacket(new byte[] {1}, 1, at.get(0)));
            DatagramPacket in = new DatagramPacket(new byte[128], 128);
            boolean answered;
            try {
                client.receive(in);
                answered = true;
            } catch (java.net.SocketTimeoutException | java.net.PortUnreachableException expected) {
                answered = false;
            }
            assertTrue("a stopped export answers nothing", !answered);
            client.setSoTimeout(5000);
            assertAnswered(client, at.get(3), "d", "after a's stop"); // p on another address, on the same acceptor as before
        }
        bound.forEach(DatagramAcceptors.Binding::close);
        bound.clear();
        awaitLoops(0, "no export left: no acceptor's loop runs");
    }

    /**
     * An export on [::1] stops listening when it stops, and its acceptor's loop ends: Mina 2.2
     * reports that address bound as 0.0.0.1 (the IPv4-compatible form), and an unbind of [::1]
     * left the socket bound and the loop running.
     */
    @Test
    public void anExportOnIpv6LoopbackStopsListening() throws Exception {
        int p = freeUdpPort();
        InetSocketAddress at = bind("::1", p, "six");
        awaitLoops(1, "one acceptor");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            client.setSoTimeout(5000);
            assertAnswered(client, at, "six", "hello");
        }
        bound.remove(0).close();
        awaitLoops(0, "the export stopped: its acceptor's loop ends");
        try (DatagramSocket again = new DatagramSocket(at)) {
            assertEquals("the port is free again", p, again.getLocalPort());
        }
    }

    /**
     * An export that comes to an acceptor made earlier is bound with the registry's socket buffer
     * size as it is now, not as it was when the acceptor was made; and since Mina applies the
     * acceptor's settings to the socket at each new client session, an export bound earlier on
     * that acceptor follows at its next new client.
     */
    @Test
    public void aNewExportsSocketGetsTheSizeAsItIsNowAndTheOthersFollowAtTheirNextClient() throws Exception {
        java.util.concurrent.atomic.AtomicInteger size = new java.util.concurrent.atomic.AtomicInteger(8192);
        DatagramAcceptors one = new DatagramAcceptors(io, 1, () -> 60, size::get);
        try {
            Answer first = new Answer("first");
            Answer later = new Answer("later");
            InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), freeUdpPort());
            InetSocketAddress b = new InetSocketAddress(InetAddress.getLoopbackAddress(), freeUdpPort());
            bound.add(one.bind(a, first));
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                client.setSoTimeout(5000);
                assertAnswered(client, a, "first", "x");
            }
            assertEquals("the first export's socket", kernelSize(8192), first.receiveBuffer);
            size.set(32768);
            bound.add(one.bind(b, later));
            awaitLoops(1, "one acceptor for both");
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                client.setSoTimeout(5000);
                assertAnswered(client, b, "later", "y");
                assertEquals("the later export's socket, on the same acceptor", kernelSize(32768), later.receiveBuffer);
                assertAnswered(client, a, "first", "z"); // a new client of the first export
            }
            assertEquals("the first export's socket at its next new client", kernelSize(32768), first.receiveBuffer);
        } finally {
            bound.forEach(DatagramAcceptors.Binding::close);
            bound.clear();
            one.close();
        }
    }

    /** SO_RCVBUF as the kernel reports it for a socket asked for {@code bytes} (Linux doubles it). */
    private static int kernelSize(int bytes) throws Exception {
        try (DatagramSocket s = new DatagramSocket(null)) {
            s.setReceiveBufferSize(bytes);
            return s.getReceiveBufferSize();
        }
    }
}
