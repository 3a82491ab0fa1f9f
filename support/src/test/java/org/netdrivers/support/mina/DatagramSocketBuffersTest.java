package org.netdrivers.support.mina;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.DatagramSessionConfig;
import org.apache.mina.transport.socket.nio.NioDatagramConnector;
import org.junit.Test;
import org.netdrivers.io.internal.IoThreadsService;

/**
 * {@code socket_buffer_bytes} of UDP drivers and exports reaches the kernel: a real connected UDP
 * socket on loopback, made by Mina's datagram connector as the UDP driver makes it, reports the
 * buffers asked for (Linux reports twice the size set, capped at net.core.rmem_max and wmem_max).
 */
public class DatagramSocketBuffersTest {
    @Test
    public void aSizeReachesTheSocketAndZeroLeavesTheSystemDefault() throws Exception {
        int systemRcv;
        int systemSnd;
        try (DatagramChannel plain = DatagramChannel.open()) {
            systemRcv = plain.socket().getReceiveBufferSize();
            systemSnd = plain.socket().getSendBufferSize();
        }
        int asked = 8192; // below every default and cap: the kernel takes it as asked
        int[] set = buffers(asked);
        assertTrue("SO_RCVBUF " + set[0] + " for " + asked, set[0] >= asked && set[0] <= 2 * asked);
        assertTrue("SO_SNDBUF " + set[1] + " for " + asked, set[1] >= asked && set[1] <= 2 * asked);
        assertNotEquals("the system's default is not the size asked", systemRcv, set[0]);
        int[] system = buffers(0);
        assertEquals("0: the system's SO_RCVBUF", systemRcv, system[0]);
        assertEquals("0: the system's SO_SNDBUF", systemSnd, system[1]);
    }

    /** SO_RCVBUF and SO_SNDBUF of a UDP session that Mina connects to a loopback socket. */
    private static int[] buffers(int socketBufferBytes) throws Exception {
        IoThreadsService io = new IoThreadsService("test-io", 1);
        NioDatagramConnector connector = new NioDatagramConnector(io.processor());
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            MinaTransports.configureDatagram(connector.getSessionConfig(), 60, socketBufferBytes);
            connector.setHandler(new IoHandlerAdapter());
            ConnectFuture f = connector.connect(peer.getLocalSocketAddress());
            assertTrue("connected", f.awaitUninterruptibly(5000));
            IoSession session = f.getSession();
            DatagramSessionConfig config = (DatagramSessionConfig) session.getConfig();
            int[] sizes = {config.getReceiveBufferSize(), config.getSendBufferSize()};
            session.closeNow().awaitUninterruptibly(5000);
            return sizes;
        } finally {
            connector.dispose(true);
            io.close();
        }
    }
}
