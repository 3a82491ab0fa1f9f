package org.netdrivers.support.mina;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jdk.net.ExtendedSocketOptions;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.net.KeepAlive;

/**
 * TCP keepalive of Mina sessions ({@link MinaTransports#keepAlive}), on real sockets: the timings
 * reach the kernel (read back, and seen by {@code ss}), and a peer that goes silent ends the
 * stream with keepalive, and only with it.
 */
public class KeepAliveTest {
    /** No probes: the kernel's default for a new socket. */
    private static final KeepAlive OFF = new KeepAlive(false, 0, 0, 0);
    private IoThreadsService io;
    private final List<NioSocketConnector> connectors = new ArrayList<>();

    @Before
    public void setUp() {
        io = new IoThreadsService("keepalive-test-io", 1);
    }

    @After
    public void tearDown() {
        connectors.forEach(c -> c.dispose(true));
        io.close();
    }

    @Test
    public void theTimingsReachTheKernelAndOffLeavesTheSocketUnprobed() throws Exception {
        try (ServerSocketChannel peer = ServerSocketChannel.open()) {
            peer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) peer.getLocalAddress()).getPort();
            MinaByteStream probing = connect(io, connectors, new KeepAlive(true, 7, 3, 4), port);
            SocketChannel probingChannel = channel(probing);
            assertEquals(Boolean.TRUE, probingChannel.getOption(StandardSocketOptions.SO_KEEPALIVE));
            assertEquals(Integer.valueOf(7), probingChannel.getOption(ExtendedSocketOptions.TCP_KEEPIDLE));
            assertEquals(Integer.valueOf(3), probingChannel.getOption(ExtendedSocketOptions.TCP_KEEPINTERVAL));
            assertEquals(Integer.valueOf(4), probingChannel.getOption(ExtendedSocketOptions.TCP_KEEPCOUNT));
            MinaByteStream silent = connect(io, connectors, OFF, port);
            assertEquals(Boolean.FALSE, channel(silent).getOption(StandardSocketOptions.SO_KEEPALIVE));

            // the kernel's own view, through iproute2's ss: a keepalive timer runs on the first alone
            int probingPort = ((InetSocketAddress) probingChannel.getLocalAddress()).getPort();
            int silentPort = ((InetSocketAddress) channel(silent).getLocalAddress()).getPort();
            String probingLine = ss(probingPort);
            assertTrue("ss shows a keepalive timer on the probing connection: " + probingLine,
                    probingLine.contains("timer:(keepalive,"));
            String silentLine = ss(silentPort);
            assertTrue("ss lists the connection without keepalive: " + silentLine, silentLine.contains(":" + silentPort));
            assertFalse("no keepalive timer runs where keepalive is off: " + silentLine, silentLine.contains("keepalive"));
        }
    }

    /**
     * A device switched off mid-connection: its segments stop, with no FIN or reset. The test's
     * own network namespace (unshare, as root) holds the connections, and traffic control drops
     * every segment the peer sends once both are up. With keepalive (idle 1 s, every 1 s, 2
     * probes) the stream fails within seconds; the same connection without keepalive stays open.
     */
    @Test
    public void aPeerThatGoesSilentEndsTheStreamWithKeepaliveAndOnlyWithIt() throws Exception {
        String why = namespaceMissing();
        if (why != null) {
            System.out.println("SKIPPED aPeerThatGoesSilentEndsTheStreamWithKeepaliveAndOnlyWithIt: " + why);
            Assume.assumeTrue(why, false);
        }
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process child = new ProcessBuilder("unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$0\" -cp \"$1\" \"$2\"",
                java, classPath, SilentPeer.class.getName()).redirectErrorStream(true).start();
        boolean ended = child.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly();
        }
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("KeepAliveTest: the namespace's run said:\n" + out);
        assertTrue("the run ended within 60 s", ended);
        assertEquals("the run's exit status", 0, child.exitValue());
        Matcher probing = Pattern.compile("probing: ended after (\\d+) ms: (.*)").matcher(out);
        assertTrue("the stream with keepalive ended", probing.find());
        assertTrue("it failed as the kernel ends a connection whose peer answers no probe (ETIMEDOUT): " + probing.group(2),
                probing.group(2).contains("timed out"));
        assertTrue("it ended after the idle time and probes (about 3 s), not at once: " + probing.group(1) + " ms",
                Long.parseLong(probing.group(1)) >= 1500);
        assertTrue("the stream without keepalive is still open", out.contains("silent: still open"));
    }

    /** @return why this machine cannot give the test a network namespace of its own with traffic control, or null */
    private static String namespaceMissing() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("unshare", "-n", "sh", "-c", "ip link set lo up && tc qdisc show dev lo")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : "'unshare -n' with 'ip' and 'tc' (root, iproute2) failed here: " + out;
        } catch (IOException e) {
            return "unshare, ip or tc is missing: " + e.getMessage();
        }
    }

    /** The connection's line in {@code ss -tno}, by its local port. */
    private static String ss(int localPort) throws Exception {
        Process p = new ProcessBuilder("ss", "-tnoH", "state", "established", "( sport = :" + localPort + " )")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals("ss ran: " + out, 0, p.waitFor());
        return out;
    }

    static SocketChannel channel(MinaByteStream stream) {
        return (SocketChannel) ((NioSession) stream.session()).getChannel();
    }

    /** A stream over a new Mina session to the loopback port, with the given keepalive. */
    static MinaByteStream connect(IoThreadsService io, List<NioSocketConnector> connectors, KeepAlive keepAlive, int port) {
        NioSocketConnector connector = new NioSocketConnector(io.processor());
        connectors.add(connector);
        MinaTransports.configure(connector.getSessionConfig(), true, 0);
        connector.setHandler(new StreamIoHandler(s -> {
            MinaTransports.keepAlive(s, keepAlive);
            return MinaTransports.tcpStream(s, "stream with " + keepAlive, 1024 * 1024);
        }, s -> { }));
        ConnectFuture f = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertTrue("connected", f.awaitUninterruptibly(5000) && f.isConnected());
        return StreamIoHandler.stream(f.getSession());
    }

    /**
     * Run in a network namespace of its own (see the test above): two streams to one peer, one with
     * keepalive and one without; then every segment from the peer's port is dropped (an HTB class
     * whose queue holds nothing), and each stream's fate is printed.
     */
    public static final class SilentPeer {
        public static void main(String[] args) throws Exception {
            IoThreadsService io = new IoThreadsService("silent-peer-io", 1);
            List<NioSocketConnector> connectors = new ArrayList<>();
            try (ServerSocketChannel peer = ServerSocketChannel.open()) {
                peer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = ((InetSocketAddress) peer.getLocalAddress()).getPort();
                MinaByteStream probing = connect(io, connectors, new KeepAlive(true, 1, 1, 2), port);
                MinaByteStream silent = connect(io, connectors, OFF, port);
                List<SocketChannel> accepted = List.of(peer.accept(), peer.accept());
                for (MinaByteStream s : List.of(probing, silent)) {
                    s.send(ByteBuffer.wrap(new byte[] {1})).toCompletableFuture().get(5, TimeUnit.SECONDS);
                }
                for (SocketChannel c : accepted) {
                    c.read(ByteBuffer.allocate(1)); // blocking: the connection carries bytes
                }
                tc("qdisc add dev lo root handle 1: htb default 10");
                tc("class add dev lo parent 1: classid 1:10 htb rate 1gbit");
                tc("class add dev lo parent 1: classid 1:20 htb rate 1gbit");
                tc("qdisc add dev lo parent 1:20 handle 20: pfifo limit 0");
                tc("filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport " + port + " 0xffff flowid 1:20");
                long t0 = System.nanoTime();
                CompletableFuture<?> probingEnd = probing.receive().toCompletableFuture();
                CompletableFuture<?> silentEnd = silent.receive().toCompletableFuture();
                try {
                    probingEnd.get(20, TimeUnit.SECONDS);
                    System.out.println("probing: ended after " + (System.nanoTime() - t0) / 1_000_000 + " ms: without an error");
                } catch (java.util.concurrent.ExecutionException e) {
                    System.out.println("probing: ended after " + (System.nanoTime() - t0) / 1_000_000 + " ms: "
                            + e.getCause().getMessage());
                } catch (java.util.concurrent.TimeoutException e) {
                    System.out.println("probing: still open after 20 s");
                }
                // the silent stream had as long, and twice the probes' time more
                Thread.sleep(6000);
                System.out.println(silentEnd.isDone() ? "silent: ended" : "silent: still open");
                accepted.forEach(c -> {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // the namespace goes with this process
                    }
                });
            } finally {
                connectors.forEach(c -> c.dispose(true));
                io.close();
            }
        }

        private static void tc(String args) throws Exception {
            List<String> command = new ArrayList<>(List.of("tc"));
            command.addAll(List.of(args.split(" ")));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException("tc " + args + " failed: " + out);
            }
        }
    }
}
