package org.netdrivers.support;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.netdrivers.api.ByteStream;

/** A check every socket stream passes: what a peer's reset does to the sends under way. */
public final class PeerReset {
    private PeerReset() {}

    /** Opens a stream to a listener's port on loopback. */
    public interface Connect {
        ByteStream to(int port) throws Exception;
    }

    /**
     * A peer that reads nothing and then resets the connection while a chunk of 16 MiB is half
     * written: that send fails, as does the 1 KiB send queued behind it, each within 5 s.
     */
    public static void failsTheSendsUnderWay(ExecutorService threads, Connect connect) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<Socket> accepted = threads.submit(() -> {
                Socket s = server.accept();
                s.setReceiveBufferSize(64 * 1024);
                return s;
            });
            ByteStream stream = connect.to(server.getLocalPort());
            Socket peer = accepted.get(5, TimeUnit.SECONDS);
            CompletableFuture<Void> first = stream.send(ByteBuffer.allocate(16 * 1024 * 1024)).toCompletableFuture();
            CompletableFuture<Void> second = stream.send(ByteBuffer.allocate(1024)).toCompletableFuture();
            Thread.sleep(300);
            assertTrue("the first chunk waits, half written", !first.isDone() && !second.isDone());
            peer.setSoLinger(true, 0);
            peer.close(); // a reset
            for (CompletableFuture<Void> send : List.of(first, second)) {
                String which = send == first ? "the chunk half written" : "the chunk queued behind it";
                try {
                    send.get(5, TimeUnit.SECONDS);
                    fail("a send to a peer that reset completed (" + which + ")");
                } catch (ExecutionException expected) {
                    // failed, as it should
                } catch (TimeoutException e) {
                    fail("a send under way when the peer reset never ended (" + which + ")");
                }
            }
            stream.close();
        }
    }
}
