package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.management.ObjectName;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The fleet's data path in one Felix: this runtime (bench-a) shares the echo endpoint {@code dut};
 * the ZooKeeper peer publishes the same endpoint once more as runtime bench-x's, with bench-a's
 * own fleet port as the owner's address. So bench-a registers the remote endpoint
 * {@code bench-x/dut}, and a TCP forward of it takes the whole real path: the registry, the
 * remote endpoint's connect (mutual TLS with bench-a's key, the handshake line), the fleet port
 * (TLS server, allow list, the registry's open of the shared endpoint, a bridge) and back. The
 * refusals are driven at the fleet port by plain JDK clients with other certificates.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FleetDataIT extends NetdriversTestSupport {
    private static final String PID_FLEET = "org.netdrivers.fleet";
    private static Certificates certs;

    private Peer zookeeper;
    private org.osgi.service.cm.Configuration fleet;
    private int fleetPort;
    private int forwardPort;

    @Configuration
    @Override
    public Option[] configuration() {
        return new Option[] {baseOptions(), bundle("file:" + System.getProperty("netdrivers.bundles", "target/bundles") + "/fleet-bundle.jar")};
    }

    @Before
    public void runtimeBenchAWithARemoteAliasOfItsOwnEndpoint() throws Exception {
        if (certs == null) {
            certs = Certificates.inBuildFolder("fleet-data-certs-");
            certs.keyStore("bench-a", "bench-a");
            certs.keyStore("other", "other");
            certs.keyStore("stranger", "stranger");
            certs.trustStore("fleet-trust", "bench-a", "other");
        }
        zookeeper = Peer.java("ZooKeeperPeer");
        String connect = zookeeper.awaitLine("CONNECT", 30_000);
        configureDriver(NetworkConstants.PID_ECHO, "dut", Map.of("network.fleet", "true"));
        configureDriver(NetworkConstants.PID_ECHO, "private", Map.of());
        fleetPort = FreePort.find();
        fleet = configurationAdmin.getConfiguration(PID_FLEET, "?");
        Hashtable<String, Object> props = FleetIT.tls(certs);
        props.putAll(Map.of("zookeeper", connect, "runtime", "bench-a", "listen", "tcp://127.0.0.1:" + fleetPort,
                "allow", new String[] {"CN=bench-a"}));
        fleet.update(props);
        zookeeper.awaitLine("CREATED /netdrivers/fleet/bench-a/dut", WAIT_MS);
        zookeeper.send("PUBLISH /netdrivers/fleet/bench-x/dut type=echo|address=echo:dut|client=c|fleet=tcp://127.0.0.1:" + fleetPort);
        awaitDriver("bench-x/dut");
        forwardPort = FreePort.find();
        configure(NetworkConstants.PID_FORWARD, "remote", Map.of(NetworkConstants.FORWARD_TARGET, "bench-x/dut",
                NetworkConstants.FORWARD_LISTEN, "tcp://127.0.0.1:" + forwardPort));
        awaitExport("tcp://127.0.0.1:" + forwardPort);
    }

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_FORWARD, NetworkConstants.PID_ECHO);
        if (fleet != null) {
            fleet.delete();
            // the fleet ends its ZooKeeper session while the server is there (closing it later waits for the server)
            awaitNoFleetThreads("the fleet's and ZooKeeper's threads to end");
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
    }

    private static long fleetCounter(String attribute) throws Exception {
        return (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(new ObjectName("org.netdrivers:type=Fleet"), attribute);
    }

    @Test
    public void tcpForwardOfARemoteEndpointCarries64MebibytesEachWayAndHalfCloses() throws Exception {
        int size = 64 * 1024 * 1024;
        long start = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), forwardPort)) {
            s.setSoTimeout((int) WAIT_MS * 3);
            Future<String> sent = Payload.THREADS.submit(() -> {
                String sha = Payload.write(s.getOutputStream(), 42, size);
                s.shutdownOutput(); // our end goes to dut through the fleet, and dut's end comes back after its echo
                return size + ":" + sha;
            });
            // to the end of stream: the bytes back before it (the half-close carried both ways), and their SHA-256
            String received = Payload.read(s.getInputStream());
            assertEquals("the echo of bench-x/dut through the forward", sent.get(60, TimeUnit.SECONDS), received);
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.println("64 MiB each way through tcp://127.0.0.1:" + forwardPort + " -> bench-x/dut -> fleet port " + fleetPort
                    + " (mutual TLS) -> dut, then the client's half-close and dut's end back, in " + ms + " ms: SHA-256 " + received);
        }
        assertEquals(1, fleetCounter("ServedConnections"));
        assertEquals(0, fleetCounter("RefusedConnections"));
        javax.management.MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        ObjectName fleetMBean = new ObjectName("org.netdrivers:type=Fleet");
        assertEquals(true, jmx.getAttribute(fleetMBean, "ZooKeeperConnected"));
        assertEquals("bench-a holds its name", true, jmx.getAttribute(fleetMBean, "Publishing"));
        assertEquals("bench-x/dut (the ZooKeeper peer's bench-z/far too)", 2, jmx.getAttribute(fleetMBean, "RemoteEndpoints"));
        // the remote endpoint is an endpoint like any other: the registry's counters and its MBean
        long size64 = 64L * 1024 * 1024;
        awaitCondition("bench-x/dut's counters", () -> registry.endpoint("bench-x/dut").map(e -> e.bytesIn() == size64
                && e.bytesOut() == size64 && e.totalStreams() == 1).orElse(false));
        assertEquals(1, ManagementFactory.getPlatformMBeanServer().queryNames(
                new ObjectName("org.netdrivers:type=Endpoint,name=" + ObjectName.quote("bench-x/dut") + ",*"), null).size());
        assertEquals(0, export("tcp://127.0.0.1:" + forwardPort).failedConnections());
    }

    /**
     * A fleet connection crosses the network between two runtimes: both of its ends are probed
     * with TCP keepalive (idle 30 s, as ss reports the kernel's timers), so that a runtime whose
     * machine goes away ends the streams it served.
     */
    @Test
    public void bothEndsOfAFleetConnectionAreProbedWithKeepalive() throws Exception {
        if (Tools.missing("ss", "bothEndsOfAFleetConnectionAreProbedWithKeepalive", "ss is not installed here (package iproute2)")) {
            return;
        }
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), forwardPort)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write('f');
            assertEquals("the echo through the fleet", 'f', s.getInputStream().read());
            Double connector = Tools.keepaliveSeconds(null, ":" + fleetPort);
            Double port = Tools.keepaliveSeconds(":" + fleetPort, null);
            String listing = Tools.run(java.util.List.of("ss", "-t", "-n", "-o", "state", "established"), "");
            assertTrue("the opening runtime's end probes within 30 s: " + connector + "\n" + listing,
                    connector != null && connector > 20 && connector <= 30);
            assertTrue("the fleet port's end probes within 30 s: " + port + "\n" + listing, port != null && port > 20 && port <= 30);
        }
    }

    /** A TLS client of the fleet port with the certificate of key store {@code keyStore} (null: none). */
    private SSLSocket client(String keyStore) throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        if (keyStore != null) {
            kmf.init(load(certs.store(keyStore)), Certificates.PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(certs.store("fleet-trust")));
        // the certificate is presented whoever the server names as issuers it trusts (the JDK's own choice
        // would send none for an untrusted one, which is the no-certificate case again)
        javax.net.ssl.KeyManager[] keys = null;
        if (keyStore != null) {
            javax.net.ssl.X509KeyManager km = (javax.net.ssl.X509KeyManager) kmf.getKeyManagers()[0];
            keys = new javax.net.ssl.KeyManager[] {new javax.net.ssl.X509ExtendedKeyManager() {
                @Override
                public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
                    return km.getClientAliases(keyType, null);
                }

                @Override
                public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
                    return km.chooseClientAlias(keyType, null, socket);
                }

                @Override
                public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
                    return km.getServerAliases(keyType, issuers);
                }

                @Override
                public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
                    return km.chooseServerAlias(keyType, issuers, socket);
                }

                @Override
                public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
                    return km.getCertificateChain(alias);
                }

                @Override
                public java.security.PrivateKey getPrivateKey(String alias) {
                    return km.getPrivateKey(alias);
                }
            }};
        }
        ssl.init(keys, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), fleetPort);
        s.setSoTimeout((int) WAIT_MS);
        return s;
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, Certificates.PASSWORD.toCharArray());
        }
        return ks;
    }

    /** Sends {@code line} (null: nothing) after the TLS handshake, and returns the server's answer line; null at end of stream. */
    private String exchange(String keyStore, String line) throws Exception {
        try (SSLSocket s = client(keyStore)) {
            s.startHandshake();
            if (line != null) {
                s.getOutputStream().write(line.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        } catch (SSLException | java.net.SocketException refused) {
            return "(" + refused + ")";
        }
    }

    private void awaitRefused(long n) throws Exception {
        awaitCondition(n + " refusal(s) counted", () -> {
            try {
                return fleetCounter("RefusedConnections") == n;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    public void refusalsAreAnsweredCountedAndSaidAndLeaveTheFleetPortServing() throws Exception {
        try (LogCapture log = new LogCapture(context)) {
            String answer = exchange(null, "NDFLEET/1 OPEN dut\n");
            System.out.println("no client certificate: " + answer);
            awaitRefused(1);
            assertEquals(log.warnings().toString(), 1, log.warnings("Fleet port", "(tls-no-certificate)").size());

            answer = exchange("stranger", "NDFLEET/1 OPEN dut\n");
            System.out.println("untrusted certificate: " + answer);
            awaitRefused(2);
            assertEquals(log.warnings().toString(), 1, log.warnings("Fleet port", "(tls-untrusted)").size());

            answer = exchange("other", "NDFLEET/1 OPEN dut\n");
            System.out.println("trusted, not in allow: " + answer);
            assertTrue(answer, answer.startsWith("ERR forbidden certificate subject CN=other is not in allow"));
            awaitRefused(3);
            assertEquals(1, log.warnings("Fleet port", "(forbidden)", "CN=other").size());

            answer = exchange("bench-a", "NDFLEET/1 OPEN private\n");
            System.out.println("unshared endpoint: " + answer);
            assertEquals("ERR unshared endpoint private is not shared by this runtime", answer);
            awaitRefused(4);
            assertEquals(1, log.warnings("Fleet port", "(unshared)", "endpoint private").size());

            answer = exchange("bench-a", "GET / HTTP/1.1\r\n\r\n");
            System.out.println("garbage instead of the handshake line: " + answer);
            assertEquals("closed without an answer", null, answer);
            awaitRefused(5);
            assertEquals(1, log.warnings("Fleet port", "(garbage)", "GET / HTTP/1.1").size());

            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), fleetPort)) {
                plain.setSoTimeout((int) WAIT_MS);
                plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                int r;
                try {
                    r = plain.getInputStream().read();
                    while (r >= 0) {
                        r = plain.getInputStream().read(); // a TLS alert, then the end
                    }
                } catch (java.net.SocketException reset) {
                    r = -1;
                }
                System.out.println("garbage instead of TLS: closed");
            }
            awaitRefused(6);
            assertEquals(log.warnings().toString(), 1, log.warnings("Fleet port", "(not-tls)").size());

            // a second client certificate outside allow from the same host within the minute: counted, its line held back
            exchange("other", "NDFLEET/1 OPEN dut\n");
            awaitRefused(7);
            List<String> lines = log.warnings("Fleet port");
            lines.forEach(System.out::println);
            assertEquals("one line per kind: " + lines, 6, lines.size());
        }
        // nothing else affected: the remote endpoint still serves
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), forwardPort)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write("still there\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("still there", new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine());
        }
        assertEquals(7, fleetCounter("RefusedConnections"));
        assertEquals(1, fleetCounter("ServedConnections"));
    }

    @Test
    public void aRemoteEndpointThatGoesClosesItsStreams() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), forwardPort)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write("before\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            assertEquals("before", in.readLine());
            zookeeper.send("DELETE /netdrivers/fleet/bench-x/dut");
            awaitNoDriver("bench-x/dut");
            String after;
            try {
                after = in.readLine();
            } catch (java.net.SocketException reset) {
                after = null;
            }
            // its open streams end once the endpoint has not come back for the fleet's grace (3 s; a flap keeps them)
            assertEquals("the forwarded connection ended with its remote endpoint", null, after);
        }
    }

    /** A flap (the node deleted and made again, with the same fleet address, within the grace) cuts no open stream. */
    @Test
    public void aRemoteEndpointThatComesBackAtOnceKeepsItsStreams() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), forwardPort)) {
            s.setSoTimeout((int) WAIT_MS);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            s.getOutputStream().write("before\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("before", in.readLine());
            zookeeper.send("DELETE /netdrivers/fleet/bench-x/dut");
            awaitNoDriver("bench-x/dut");
            zookeeper.send("PUBLISH /netdrivers/fleet/bench-x/dut type=echo|address=echo:dut|client=c|fleet=tcp://127.0.0.1:" + fleetPort);
            awaitDriver("bench-x/dut");
            // past the grace: a stream it had ended would have ended by now
            long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000 + 1000);
            while (System.nanoTime() < graceEnd) {
                Thread.sleep(100);
            }
            s.getOutputStream().write("after\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("the stream opened before the flap goes on", "after", in.readLine());
        }
    }
}
