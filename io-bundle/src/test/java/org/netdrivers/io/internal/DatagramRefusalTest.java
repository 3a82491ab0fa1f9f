package org.netdrivers.io.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioDatagramConnector;
import org.junit.Test;

/**
 * A UDP driver's session under ICMP port unreachable, on the I/O threads' processors: real sockets on
 * loopback, one I/O thread.
 */
public class DatagramRefusalTest {
    private static final long BOUND_MS = 10_000;

    /**
     * A connected datagram session to a port nobody listens on, told not to close on port
     * unreachable: the refusals that come back at its reads and writes close nothing, and every
     * datagram is written (UDP then loses them, as it does).
     */
    @Test(timeout = 60_000)
    public void aDatagramSessionToleratesRefusalsAtItsReadsAndWrites() throws Exception {
        int nobody;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            nobody = probe.getLocalPort();
        }
        try (IoThreadsService io = new IoThreadsService("ends-test", 1)) {
            NioDatagramConnector connector = new NioDatagramConnector(io.processor());
            connector.getSessionConfig().setCloseOnPortUnreachable(false);
            List<Throwable> told = new ArrayList<>();
            connector.setHandler(new IoHandlerAdapter() {
                @Override
                public void exceptionCaught(IoSession session, Throwable cause) {
                    synchronized (told) {
                        told.add(cause);
                    }
                }
            });
            try {
                ConnectFuture connect = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), nobody));
                assertTrue("connected", connect.await(BOUND_MS));
                IoSession session = connect.getSession();
                List<WriteFuture> writes = new ArrayList<>();
                for (int i = 0; i < 1000; i++) { // bursts: the refusals come back between the writes
                    writes.add(session.write(IoBuffer.wrap(new byte[] {(byte) i})));
                    if (i % 100 == 99) {
                        writes.get(i).await(BOUND_MS);
                        Thread.sleep(10);
                    }
                }
                int written = 0;
                for (WriteFuture w : writes) {
                    assertTrue("each write completes", w.await(BOUND_MS));
                    written += w.isWritten() ? 1 : 0;
                }
                assertEquals("datagrams written", 1000, written);
                // the last datagram's refusal, with no write after it, comes at a read
                long deadline = System.nanoTime() + BOUND_MS * 1_000_000;
                while (!refusalTold(told) && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue("port unreachable reached the session (else nothing was tested): " + told, refusalTold(told));
                assertTrue("the session is still open", session.isConnected());
            } finally {
                connector.dispose();
            }
        }
    }

    private static boolean refusalTold(List<Throwable> told) {
        synchronized (told) {
            return told.stream().anyMatch(e -> e instanceof java.net.PortUnreachableException);
        }
    }
}
