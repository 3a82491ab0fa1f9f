package org.netdrivers.support;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.After;
import org.junit.Test;
import org.netdrivers.io.Relay;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.mina.MinaByteStream;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.netdrivers.support.nio.NioByteStream;
import org.netdrivers.support.nio.NioConnect;

/**
 * The I/O threads' relays over real sockets, without a framework: a listener whose every
 * connection is connected to a peer from the connection's own I/O thread and spliced there, as
 * an export does; Mina sessions (TCP) and selector-loop channels (TCP and Unix-domain paths).
 */
public class RelayTest {
    private static final long SIZE = 32L * 1024 * 1024;
    private static final int WINDOW = 1024 * 1024;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final IoThreadsService io = new IoThreadsService("relay-test", 2);
    private final CompletableFuture<Optional<Relay>> relay = new CompletableFuture<>();

    @After
    public void tearDown() {
        io.close();
        threads.shutdownNow();
    }

    @Test
    public void minaSessionsOfOneThreadAreRelayedBothWaysWithHalfCloses() throws Exception {
        try (ServerSocketChannel peer = ServerSocketChannel.open()) {
            peer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketAddress peerAddress = peer.getLocalAddress();
            NioSocketConnector connector = new NioSocketConnector(io.processor());
            MinaTransports.configure(connector.getSessionConfig(), true, 0);
            connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "device side", WINDOW), s -> { }));
            NioSocketAcceptor acceptor = new NioSocketAcceptor(io.processor());
            MinaTransports.configure(acceptor.getSessionConfig(), true, 0);
            acceptor.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "client side", WINDOW), client -> {
                // on the client session's thread: the device session joins it
                ConnectFuture f = connector.connect(peerAddress, io.joinCallingThread());
                f.addListener(done -> relay.complete(io.relay(client,
                        StreamIoHandler.stream(((ConnectFuture) done).getSession()), WINDOW)));
            }));
            acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try {
                long made = IoThreadsService.pooledBuffersMade();
                exchange(peer, acceptor.getLocalAddress(), StandardProtocolFamily.INET);
                // 64 MiB in reads of at most 256 KiB is 256 reads or more; a relay that did not give its
                // buffers back would make one each
                long madeNow = IoThreadsService.pooledBuffersMade() - made;
                System.out.println("RelayTest: direct read buffers made for 64 MiB relayed: " + madeNow);
                assertTrue("the relay's read buffers are used again: " + madeNow + " made", madeNow < 64);
            } finally {
                acceptor.dispose(true);
                connector.dispose(true);
            }
        }
    }

    @Test
    public void tcpChannelsOfOneLoopAreRelayedBothWaysWithHalfCloses() throws Exception {
        try (ServerSocketChannel peer = ServerSocketChannel.open()) {
            peer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (ServerSocketChannel listener = channelRelay(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    StandardProtocolFamily.INET, peer.getLocalAddress())) {
                exchange(peer, listener.getLocalAddress(), StandardProtocolFamily.INET);
            }
        }
    }

    @Test
    public void unixChannelsOfOneLoopAreRelayedBothWaysWithHalfCloses() throws Exception {
        Path dir = Files.createTempDirectory("relay-test");
        try (ServerSocketChannel peer = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            peer.bind(UnixDomainSocketAddress.of(dir.resolve("peer.sock")));
            try (ServerSocketChannel listener = channelRelay(UnixDomainSocketAddress.of(dir.resolve("listen.sock")),
                    StandardProtocolFamily.UNIX, peer.getLocalAddress())) {
                exchange(peer, listener.getLocalAddress(), StandardProtocolFamily.UNIX);
            }
        } finally {
            Files.deleteIfExists(dir.resolve("peer.sock"));
            Files.deleteIfExists(dir.resolve("listen.sock"));
            Files.delete(dir);
        }
    }

    /** A listener on one of the loops; each connection goes to a loop, connects to {@code peer} from it and is relayed there. */
    private ServerSocketChannel channelRelay(SocketAddress at, StandardProtocolFamily family, SocketAddress peer) throws Exception {
        ServerSocketChannel listener = ServerSocketChannel.open(family);
        listener.bind(at);
        SelectorLoop acceptLoop = io.nextLoop();
        acceptLoop.execute(() -> {
            try {
                acceptLoop.register(listener, SelectionKey.OP_ACCEPT, key -> {
                    try {
                        SocketChannel accepted = listener.accept();
                        if (accepted == null) {
                            return;
                        }
                        SelectorLoop home = io.nextLoop();
                        home.execute(() -> {
                            NioByteStream client = new NioByteStream(home, accepted, "client side", WINDOW).start();
                            NioConnect.connect(io.loop(), () -> SocketChannel.open(family), peer, 5000).whenComplete((ch, e) -> {
                                if (e != null) {
                                    relay.completeExceptionally(e);
                                    return;
                                }
                                NioByteStream device = new NioByteStream(home, ch, "device side", WINDOW).start();
                                relay.complete(io.relay(client, device, WINDOW));
                            });
                        });
                    } catch (java.io.IOException e) {
                        relay.completeExceptionally(e);
                    }
                });
            } catch (java.io.IOException e) {
                relay.completeExceptionally(e);
            }
        });
        return listener;
    }

    /** 32 MiB each way, each side half-closing after its last byte; both sides see every byte and then the end. */
    private void exchange(ServerSocketChannel peer, SocketAddress relayAt, StandardProtocolFamily family) throws Exception {
        try (SocketChannel client = SocketChannel.open(family)) {
            client.connect(relayAt);
            exchange(threads, peer, client, client, client::shutdownOutput);
        }
        assertRelayed(relay, WINDOW);
    }

    /** What ends a side's output after its last byte. */
    public interface End {
        void run() throws Exception;
    }

    /**
     * 32 MiB each way between a client (its channels, and {@code endOutput} after its last byte)
     * and the peer the relay connected to (a TCP half-close after its last byte): both sides see
     * every byte and then the end.
     */
    public static void exchange(ExecutorService threads, ServerSocketChannel peer, ReadableByteChannel clientIn,
            WritableByteChannel clientOut, End endOutput) throws Exception {
        Future<String[]> atPeer = threads.submit(() -> {
            try (SocketChannel s = peer.accept()) {
                Future<String> sent = threads.submit(() -> write(s, 2, s::shutdownOutput));
                return new String[] {read(s), sent.get()};
            }
        });
        Future<String> sent = threads.submit(() -> write(clientOut, 1, endOutput));
        String received = read(clientIn);
        String[] peerSide = atPeer.get(60, TimeUnit.SECONDS);
        assertEquals("client to peer, then the client's end", sent.get(60, TimeUnit.SECONDS), peerSide[0]);
        assertEquals("peer to client, then the peer's half-close", peerSide[1], received);
    }

    /** The two sides were relayed (not bridged), the relay ended without a failure, and it held at most the window and one read. */
    public static void assertRelayed(CompletableFuture<Optional<Relay>> relay, int window) throws Exception {
        Optional<Relay> r = relay.get(5, TimeUnit.SECONDS);
        assertTrue("both sides on one thread: relayed, not bridged", r.isPresent());
        assertEquals("the relay ends without a failure once both directions ended", null,
                r.get().done().toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertTrue("in flight stays within the window and one read (" + r.get().peakInFlight() + ")",
                r.get().peakInFlight() <= window + 256 * 1024);
    }

    /** {@link #SIZE} bytes of {@code seed}, then {@code end}: "size:sha-256" (channel writes directly: Channels' streams lock a blocking read against a write). */
    private static String write(WritableByteChannel s, long seed, End end) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] chunk = new byte[48 * 1024 + 7];
        for (long sent = 0; sent < SIZE; ) {
            int n = (int) Math.min(chunk.length, SIZE - sent);
            random.nextBytes(chunk);
            sha.update(chunk, 0, n);
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
            while (b.hasRemaining()) {
                s.write(b);
            }
            sent += n;
        }
        end.run();
        return SIZE + ":" + HexFormat.of().formatHex(sha.digest());
    }

    private static String read(ReadableByteChannel s) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long total = 0;
        for (int n; (n = s.read(buf.clear())) >= 0; ) {
            sha.update(buf.array(), 0, n);
            total += n;
        }
        return total + ":" + HexFormat.of().formatHex(sha.digest());
    }
}
