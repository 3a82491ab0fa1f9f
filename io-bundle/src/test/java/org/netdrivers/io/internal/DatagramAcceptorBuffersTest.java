package org.netdrivers.io.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioDatagramAcceptor;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * A Mina datagram acceptor run by {@link IoThreadsService#acceptorExecutor()} on loopback: it reads
 * every datagram into a pooled direct buffer, which the handler copies out of and frees, and the
 * next datagram is read into the same memory again.
 */
public class DatagramAcceptorBuffersTest {
    private IoThreadsService io;
    private NioDatagramAcceptor acceptor;
    private final AtomicInteger direct = new AtomicInteger();
    private final AtomicInteger heap = new AtomicInteger();

    @Before
    public void setUp() throws Exception {
        io = new IoThreadsService("datagram-acceptor-test", 1);
        acceptor = new NioDatagramAcceptor(io.acceptorExecutor());
        acceptor.getSessionConfig().setReadBufferSize(64 * 1024);
        acceptor.setHandler(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                IoBuffer in = (IoBuffer) message;
                (in.isDirect() ? direct : heap).incrementAndGet();
                // as a stream that keeps a datagram does: copy the bytes out, free the read buffer
                ByteBuffer copy = ByteBuffer.allocate(in.remaining()).put(in.buf()).flip();
                in.free();
                session.write(IoBuffer.wrap(copy));
            }
        });
        acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @After
    public void tearDown() {
        acceptor.dispose(true);
        io.close();
    }

    @Test
    public void eachDatagramIsReadIntoAPooledDirectBufferAndEchoedIntact() throws Exception {
        long madeBefore = IoThreadsService.pooledBuffersMade();
        Random random = new Random(7);
        int datagrams = 2_000;
        try (DatagramChannel client = DatagramChannel.open()) {
            client.connect(acceptor.getLocalAddress());
            client.socket().setSoTimeout(5_000);
            ByteBuffer back = ByteBuffer.allocate(64 * 1024);
            for (int i = 0; i < datagrams; i++) {
                byte[] sent = new byte[i % 100 == 0 ? 60_000 : 1 + random.nextInt(1500)];
                random.nextBytes(sent);
                client.write(ByteBuffer.wrap(sent));
                back.clear();
                java.net.DatagramPacket packet = new java.net.DatagramPacket(back.array(), back.capacity());
                client.socket().receive(packet);
                byte[] got = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
                assertArrayEquals("datagram " + i + " echoed intact", sent, got);
            }
        }
        assertEquals("read into direct buffers", datagrams, direct.get());
        assertEquals("no heap read buffer", 0, heap.get());
        long made = IoThreadsService.pooledBuffersMade() - madeBefore;
        assertTrue("the acceptor's thread reused its pooled buffers (" + made + " made for " + datagrams + " datagrams)", made <= 2);
    }
}
