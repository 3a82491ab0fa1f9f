package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The TCP driver against ServerSockets this test runs on 127.0.0.1 and ::1. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TcpDriverIT extends NetdriversTestSupport {
    private static final long SIZE = 64L * 1024 * 1024;

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_TCP);
    }

    @Test
    public void sixtyFourMebibytesEachWayOverIpv4() throws Exception {
        bulkBothWays(InetAddress.getByName("127.0.0.1"), "bulk4");
    }

    @Test
    public void sixtyFourMebibytesEachWayOverIpv6() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        if (!ipv6LoopbackWorks(v6)) {
            System.out.println("SKIPPED sixtyFourMebibytesEachWayOverIpv6: this machine has no IPv6 loopback (::1 cannot be bound)");
            return;
        }
        bulkBothWays(v6, "bulk6");
    }

    private static boolean ipv6LoopbackWorks(InetAddress v6) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(v6, 0));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private void bulkBothWays(InetAddress address, String name) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(address, 0));
            configure(NetworkConstants.PID_TCP, name, Map.of(NetworkConstants.NETWORK_NAME, name,
                    "host", address.getHostAddress(), "port", server.getLocalPort()));
            String expectedAddress = address instanceof Inet6Address
                    ? "tcp://[::1]:" + server.getLocalPort() : "tcp://127.0.0.1:" + server.getLocalPort();
            assertEquals(expectedAddress, awaitDriver(name).getProperty(NetworkConstants.NETWORK_ADDRESS));

            Future<String[]> peer = Payload.THREADS.submit(() -> {
                try (Socket s = server.accept()) {
                    Future<String> sent = Payload.THREADS.submit(() -> {
                        String sha = Payload.write(s.getOutputStream(), 2, SIZE);
                        s.shutdownOutput();
                        return SIZE + ":" + sha;
                    });
                    String received = Payload.read(s.getInputStream());
                    return new String[] {received, sent.get()};
                }
            });
            ByteStream stream = await(driver(name).connect());
            CompletableFuture<String> sent = Payload.send(stream, 1, SIZE);
            CompletableFuture<String> received = Payload.receive(stream);
            // our own side first: a send that failed says why, instead of the peer waiting for bytes
            String sentSha = sent.get(60, java.util.concurrent.TimeUnit.SECONDS);
            String[] atPeer = peer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("client -> server: count and SHA-256", sentSha, atPeer[0]);
            assertEquals("server -> client: count and SHA-256", atPeer[1], received.get(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(Payload.expected(1, SIZE), atPeer[0]);
            stream.close();
        }
    }

    @Test
    public void halfCloseFromTheClientLetsTheServerAnswer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            configure(NetworkConstants.PID_TCP, "half1", Map.of(NetworkConstants.NETWORK_NAME, "half1",
                    "host", "127.0.0.1", "port", server.getLocalPort()));
            Future<String> peer = Payload.THREADS.submit(() -> {
                try (Socket s = server.accept()) {
                    String request = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // until EOF
                    s.getOutputStream().write(("got " + request).getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return request;
                }
            });
            ByteStream stream = await(driver("half1").connect());
            send(stream, "question");
            await(stream.sendEof());
            assertEquals("server saw EOF after the request", "question", peer.get(WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
            StringBuilder answer = new StringBuilder();
            for (String chunk; (chunk = receiveText(stream)) != null; ) {
                answer.append(chunk);
            }
            assertEquals("got question", answer.toString());
            stream.close();
        }
    }

    @Test
    public void halfCloseFromTheServerLetsTheClientGoOnSending() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            configure(NetworkConstants.PID_TCP, "half2", Map.of(NetworkConstants.NETWORK_NAME, "half2",
                    "host", "127.0.0.1", "port", server.getLocalPort()));
            Future<String> peer = Payload.THREADS.submit(() -> {
                try (Socket s = server.accept()) {
                    OutputStream out = s.getOutputStream();
                    out.write("banner".getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    InputStream in = s.getInputStream();
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            });
            ByteStream stream = await(driver("half2").connect());
            StringBuilder banner = new StringBuilder();
            for (String chunk; (chunk = receiveText(stream)) != null; ) {
                banner.append(chunk);
            }
            assertEquals("banner", banner.toString());
            send(stream, "still sending after EOF");
            await(stream.sendEof());
            assertEquals("still sending after EOF", peer.get(WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
            stream.close();
        }
    }

    @Test
    public void refusedConnectNamesHostPortAndCause() throws Exception {
        int port = ConfigurationLifecycleIT.unusedPort();
        configure(NetworkConstants.PID_TCP, "refused", Map.of(NetworkConstants.NETWORK_NAME, "refused",
                "host", "127.0.0.1", "port", port));
        Throwable failure = awaitFailure(driver("refused").connect());
        assertTrue(failure.toString(), failure instanceof ConnectException);
        assertContains("message", failure.getMessage(), "tcp driver 'refused': cannot connect to tcp://127.0.0.1:" + port);
        assertContains("message", failure.getMessage(), "port " + port);
        assertContains("message", failure.getMessage().toLowerCase(), "refused");
    }

    static boolean hasInterface(String name) throws Exception {
        return NetworkInterface.getByName(name) != null;
    }
}
