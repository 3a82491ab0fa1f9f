package org.netdrivers.support.mina;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.netdrivers.io.internal.IoThreadsService;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.support.stream.Bridge;

/**
 * The export's shape without a framework: a Mina acceptor whose accepted streams are bridged to
 * streams of a Mina connector, carrying a bulk transfer to a peer that pauses and then reads slowly.
 */
public class BridgeOverMinaTest {
    private static final long LIMIT = 1024 * 1024;
    private NioSocketAcceptor acceptor;
    private NioSocketConnector connector;
    private IoThreadsService io;
    private ExecutorService threads;
    private volatile MinaByteStream lastClient;
    private int peerPort;

    @Before
    public void setUp() throws Exception {
        threads = Executors.newCachedThreadPool();
        io = new IoThreadsService("test-io", 2);
        connector = new NioSocketConnector(io.processor());
        MinaTransports.configure(connector.getSessionConfig(), true, 0);
        connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "driver side", LIMIT), s -> { }));
        acceptor = new NioSocketAcceptor(io.processor());
        acceptor.setReuseAddress(true);
        MinaTransports.configure(acceptor.getSessionConfig(), true, 0);
        acceptor.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "client side", LIMIT), client -> {
            lastClient = client;
            ConnectFuture f = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), peerPort));
            f.addListener(done -> new Bridge(client, StreamIoHandler.stream(((ConnectFuture) done).getSession())).start());
        }));
        acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @After
    public void tearDown() {
        acceptor.dispose(true);
        connector.dispose(true);
        io.close();
        threads.shutdownNow();
    }

    @Test
    public void bulkThroughTheBridgeToASlowPeerStaysBoundedAndFlows() throws Exception {
        long size = 128L * 1024 * 1024;
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            peerPort = peer.getLocalPort();
            Future<Long> reader = threads.submit(() -> {
                try (Socket s = peer.accept()) {
                    Thread.sleep(500);
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[16 * 1024];
                    long n = 0;
                    int reads = 0;
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        n += r;
                        if (++reads % 64 == 0) {
                            Thread.sleep(1);
                        }
                    }
                    return n;
                }
            });
            long t0 = System.nanoTime();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), acceptor.getLocalAddress().getPort())) {
                OutputStream out = client.getOutputStream();
                byte[] chunk = new byte[64 * 1024];
                for (long sent = 0; sent < size; sent += chunk.length) {
                    out.write(chunk);
                }
                client.shutdownOutput();
                assertEquals(size, (long) reader.get(60, TimeUnit.SECONDS));
                assertEquals(-1, client.getInputStream().read());
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("bridge: 128 MiB to a slow peer in " + ms + " ms, peak in flight " + lastClient.peakInFlight());
            assertTrue("bounded: " + lastClient.peakInFlight(), lastClient.peakInFlight() <= LIMIT);
            assertTrue("no stalls: " + ms + " ms", ms < 20_000);
        }
    }
}
