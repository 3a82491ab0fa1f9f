package org.netdrivers.io.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioDatagramConnector;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.Test;

/**
 * How the I/O threads' processors end what Mina would leave hanging or close: real sockets on
 * loopback, one I/O thread.
 */
public class SessionEndsTest {
    private static final long BOUND_MS = 10_000;

    /**
     * Connectors built on {@link IoThreadsService#connectorExecutor()} run their connect loops on
     * the I/O threads' named connector threads, which they share: ten connectors that connect one
     * after another leave no thread of a pool of their own ({@code pool-N-thread-M}, Mina's default).
     */
    @Test(timeout = 60_000)
    public void connectorsRunTheirConnectLoopsOnTheSharedNamedThreads() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (IoThreadsService io = new IoThreadsService("conn-test", 1);
                ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 10; i++) {
                NioSocketConnector connector = new NioSocketConnector(io.connectorExecutor(), io.processor());
                connector.setHandler(new IoHandlerAdapter());
                try {
                    ConnectFuture connect = connector.connect(server.getLocalSocketAddress());
                    assertTrue("connect " + i, connect.await(BOUND_MS));
                    connect.getSession().closeNow();
                    server.accept().close();
                } finally {
                    connector.dispose();
                }
            }
            List<String> started = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!before.contains(t)) {
                    started.add(t.getName());
                }
            }
            assertTrue("threads of a connector's own pool: " + started,
                    started.stream().noneMatch(n -> n.startsWith("pool-")));
            long shared = started.stream().filter(n -> n.startsWith("conn-test-connector-")).count();
            assertTrue("the shared connector threads ran the loops: " + started, shared >= 1 && shared < 10);
        }
    }

    /**
     * A session closed while its processor is in the middle of a write: that write's future
     * completes, not written (Mina fails only the requests still queued).
     */
    @Test(timeout = 60_000)
    public void aWriteUnderWayWhenItsSessionClosesFails() throws Exception {
        try (IoThreadsService io = new IoThreadsService("ends-test", 1);
                ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            NioSocketConnector connector = new NioSocketConnector(io.processor());
            connector.getSessionConfig().setSendBufferSize(64 * 1024);
            connector.setHandler(new IoHandlerAdapter() {
                @Override
                public void exceptionCaught(IoSession session, Throwable cause) {
                    // the failed write is told here too
                }
            });
            try {
                ConnectFuture connect = connector.connect(server.getLocalSocketAddress());
                assertTrue("connected", connect.await(BOUND_MS));
                IoSession session = connect.getSession();
                try (Socket peer = server.accept()) { // accepted, never read: the write stays under way
                    WriteFuture write = session.write(IoBuffer.wrap(new byte[32 * 1024 * 1024]));
                    long deadline = System.nanoTime() + BOUND_MS * 1_000_000;
                    while (session.getCurrentWriteRequest() == null && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    assertNotNull("the processor is in the middle of the write", session.getCurrentWriteRequest());
                    assertFalse(write.isDone());
                    session.closeNow();
                    assertTrue("the write's future completes once its session is closed", write.await(BOUND_MS));
                    assertFalse("and says it was not written", write.isWritten());
                }
            } finally {
                connector.dispose();
            }
        }
    }

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
