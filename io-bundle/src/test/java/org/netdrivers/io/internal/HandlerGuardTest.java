package org.netdrivers.io.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.junit.Test;

/**
 * A handler that fails with an error (what a driver bundle's handler does once the bundle was
 * updated under it) loses its session, and the I/O thread serves the next ones: real sockets on
 * loopback, one I/O thread, so that every session is on the thread that met the error.
 */
public class HandlerGuardTest {
    /** Bounded: without the guard the thread dies, and closing the I/O threads waits for it for ever. */
    @Test(timeout = 60_000)
    public void anErrorInAHandlerClosesItsSessionAndTheThreadServesOn() throws Exception {
        AtomicInteger sessions = new AtomicInteger();
        try (IoThreadsService io = new IoThreadsService("guard-test", 1)) {
            NioSocketAcceptor acceptor = new NioSocketAcceptor(io.processor());
            acceptor.setHandler(new IoHandlerAdapter() {
                @Override
                public void sessionCreated(IoSession session) {
                    if (sessions.incrementAndGet() == 1) {
                        throw new NoClassDefFoundError("org/example/Gone (a test's stand-in for an updated bundle)");
                    }
                }

                @Override
                public void exceptionCaught(IoSession session, Throwable cause) {
                    // expected here: Mina tells the handler of the error before the guard closes the session
                }

                @Override
                public void messageReceived(IoSession session, Object message) {
                    IoBuffer in = (IoBuffer) message;
                    if (in.remaining() > 0 && in.get(in.position()) == '!') {
                        throw new NoClassDefFoundError("org/example/GoneToo");
                    }
                    session.write(IoBuffer.allocate(in.remaining()).put(in).flip());
                }
            });
            acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = acceptor.getLocalAddress().getPort();
            try {
                assertEquals("the session whose sessionCreated failed is closed", -1, firstRead(port, "ignored"));
                assertEquals("a message whose handling failed closes its session", -1, firstRead(port, "!boom"));
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals("the thread serves the next session", "hello".getBytes(StandardCharsets.US_ASCII),
                            echo(port, "hello"));
                }
            } finally {
                acceptor.dispose(true);
            }
        }
    }

    /** @return the first byte read after sending {@code text}, -1 at end of stream */
    private static int firstRead(int port, String text) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            try {
                return s.getInputStream().read();
            } catch (java.net.SocketException reset) {
                return -1; // closed with data unread: a reset, also an end
            }
        }
    }

    private static byte[] echo(int port, String text) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            byte[] out = text.getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(out);
            InputStream in = s.getInputStream();
            return in.readNBytes(out.length);
        }
    }
}
