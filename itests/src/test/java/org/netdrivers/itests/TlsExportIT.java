package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * tls:// exports: mutual TLS with certificates made by keytool at test time. A client with a
 * trusted certificate gets through (64 MiB each way, SHA-256 equal; openssl s_client too); one
 * with an untrusted certificate, with none, or outside tls_allow is refused, counted, and said in
 * one WARN line per 10 s.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TlsExportIT extends NetdriversTestSupport {
    private static Certificates certs;
    private org.osgi.service.cm.Configuration registryConfig;
    private int port;

    @Before
    public void tlsRegistryAndAnEchoBehindATlsExport() throws Exception {
        if (certs == null) {
            certs = Certificates.inBuildFolder("tls-certs-");
            certs.keyStore("server", "netdrivers-runtime");
            certs.keyStore("client", "bench-client");
            certs.keyStore("stranger", "stranger");
            certs.trustStore("server-trust", "client");
            certs.trustStore("client-trust", "server");
            certs.trustStore("server-trust-stranger", "stranger");
        }
        registry(Map.of());
        port = FreePort.find();
        configure(NetworkConstants.PID_ECHO, "tlsecho", Map.of(NetworkConstants.NETWORK_NAME, "tls-echo",
                NetworkConstants.NETWORK_EXPORT, "tls://127.0.0.1:" + port));
        awaitExport("tls://127.0.0.1:" + port);
        // Config Admin delivers the registry's configuration and the echo's each in its own time: the
        // export may listen while the registry still has the stores the previous test left it
        awaitCondition("the registry's stores of this test in effect (a trusted client served)", () -> echoes("client", port));
    }

    /** The registry's configuration: the TLS stores, and {@code extra}. */
    private void registry(Map<String, Object> extra) throws Exception {
        java.util.Map<String, Object> props = new java.util.HashMap<>(Map.of(
                "tls_key_store", certs.store("server").toString(), "tls_key_store_password", Certificates.PASSWORD,
                "tls_trust_store", certs.store("server-trust").toString(), "tls_trust_store_password", Certificates.PASSWORD));
        props.putAll(extra);
        registryConfig = registrySettings(props);
    }

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_ECHO);
        // the registry's configuration stays: the next set-up updates it (see registrySettings)
    }

    /** A TLS client of the export on {@code port}, with the certificate of key store {@code keyStore} (null: none). */
    private static SSLSocket client(String keyStore, int port) throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        if (keyStore != null) {
            kmf.init(load(certs.store(keyStore)), Certificates.PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(certs.store("client-trust")));
        ssl.init(keyStore == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return (SSLSocket) ssl.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, Certificates.PASSWORD.toCharArray());
        }
        return ks;
    }

    @Test
    public void aTrustedClientGets64MebibytesEachWayThrough() throws Exception {
        int size = 64 * 1024 * 1024;
        try (SSLSocket s = client("client", port)) {
            s.setSoTimeout((int) WAIT_MS * 3);
            s.startHandshake();
            Future<String> sent = Payload.THREADS.submit(() -> Payload.write(s.getOutputStream(), 21, size));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < size) {
                int n = in.read(buf);
                assertTrue("the echo ended early after " + got + " bytes", n > 0);
                sha.update(buf, 0, n);
                got += n;
            }
            String received = HexFormat.of().formatHex(sha.digest());
            assertEquals("the echo through the TLS export", sent.get(60, TimeUnit.SECONDS), received);
            System.out.println("64 MiB each way through tls://127.0.0.1:" + port + " (" + s.getSession().getProtocol() + ", "
                    + s.getSession().getCipherSuite() + "): SHA-256 " + received);
        }
        assertEquals(0, export("tls://127.0.0.1:" + port).failedConnections());
    }

    @Test
    public void untrustedMissingAndUnlistedClientsAreRefusedCountedAndSaidOnce() throws Exception {
        try (LogCapture log = new LogCapture(context)) {
            for (String who : new String[] {"stranger", null}) {
                try (SSLSocket s = client(who, port)) {
                    s.setSoTimeout((int) WAIT_MS);
                    s.startHandshake();
                    s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    int r = s.getInputStream().read();
                    assertEquals((who == null ? "no certificate" : "an untrusted certificate") + ": nothing back", -1, r);
                } catch (SSLException | java.net.SocketException refused) {
                    System.out.println((who == null ? "no certificate" : "an untrusted certificate") + ": " + refused);
                }
            }
            awaitCondition("two refusals counted", () -> export("tls://127.0.0.1:" + port).failedConnections() == 2);
            List<String> lines = log.warnings("export tls://127.0.0.1:" + port, "TLS handshake failed");
            assertEquals("one line for both: " + lines, 1, lines.size());
            System.out.println(lines.get(0));
        }

        // a trusted client outside tls_allow
        registry(Map.of("tls_allow", new String[] {"CN=somebody-else"}));
        deleteConfigurations(NetworkConstants.PID_ECHO);
        awaitCondition("the old export gone", () -> registry.exports().stream().noneMatch(e -> e.listen().endsWith(":" + port)));
        port = FreePort.find();
        configure(NetworkConstants.PID_ECHO, "tlsecho2", Map.of(NetworkConstants.NETWORK_NAME, "tls-echo2",
                NetworkConstants.NETWORK_EXPORT, "tls://127.0.0.1:" + port));
        awaitExport("tls://127.0.0.1:" + port);
        String line = assertNotAllowed(port);
        assertTrue(line, line.contains("CN=bench-client"));
    }

    /**
     * A change of the registry's tls_allow or trust store applies to the next connection of a
     * listening tls:// export (a revoked client is refused at once, a newly trusted one served),
     * and a connection open before it goes on as it began.
     */
    @Test
    public void aChangeOfTheRegistrysTlsFieldsAppliesToTheNextConnectionOfAListeningExport() throws Exception {
        assertTrue("a trusted client before the change", echoes("client", port));
        try (SSLSocket open = client("client", port)) {
            open.setSoTimeout((int) WAIT_MS);
            open.getOutputStream().write("open".getBytes(StandardCharsets.UTF_8)); // a round trip: the export took it
            open.getOutputStream().flush();
            assertEquals("open", new String(open.getInputStream().readNBytes(4), StandardCharsets.UTF_8));
            registry(Map.of("tls_allow", new String[] {"CN=somebody-else"}));
            awaitCondition("the trusted client outside the new tls_allow refused", () -> !echoes("client", port));
            open.getOutputStream().write("still".getBytes(StandardCharsets.UTF_8));
            open.getOutputStream().flush();
            assertEquals("the connection open before the change", "still",
                    new String(open.getInputStream().readNBytes(5), StandardCharsets.UTF_8));
        }
        // another trust store: it trusts only "stranger"
        registryConfig.update(new java.util.Hashtable<>(Map.of(
                "tls_key_store", certs.store("server").toString(), "tls_key_store_password", Certificates.PASSWORD,
                "tls_trust_store", certs.store("server-trust-stranger").toString(), "tls_trust_store_password", Certificates.PASSWORD)));
        awaitCondition("the newly trusted client served", () -> echoes("stranger", port));
        assertTrue("the client the new trust store does not hold refused", !echoes("client", port));
        assertTrue("the export listened throughout", export("tls://127.0.0.1:" + port).listening());
    }

    /**
     * A trust store renewed in place (the same path, new content: what a CA's renewal job does)
     * applies to the next connection without a change of the registry's configuration: one INFO
     * line says so. A file half written meanwhile changes nothing and is said once, at WARN. The
     * file is the one this class's set-up configures; the test puts its content back at the end,
     * through the same reload, so that the registry's configuration is never touched.
     */
    @Test
    public void aStoreFileRenewedInPlaceAppliesToTheNextConnectionWithoutAChangeOfConfiguration() throws Exception {
        Path trust = certs.store("server-trust");
        byte[] original = Files.readAllBytes(trust);
        try (LogCapture log = new LogCapture(context)) {
            Files.write(trust, new byte[] {1, 2, 3}); // a renewal job half way
            awaitCondition("a WARN line for the unusable file", () -> log.warnings("tls_trust_store").size() == 1);
            assertTrue("the stores as they were serve on", echoes("client", port));
            renew(trust, Files.readAllBytes(certs.store("server-trust-stranger")));
            awaitCondition("the client the renewed file trusts served", () -> echoes("stranger", port));
            assertTrue("the client it no longer trusts refused", !echoes("client", port));
            assertEquals("one WARN line for the unusable file, however often it was checked", 1, log.warnings("tls_trust_store").size());
            assertEquals(List.of(), log.errors());
            assertTrue("an INFO line for the renewal", log.lines().stream().anyMatch(l -> l.contains("changed on disk: new tls://")));
            assertTrue("the export listened throughout", export("tls://127.0.0.1:" + port).listening());
        } finally {
            renew(trust, original);
            awaitCondition("the set-up's trust store back in effect", () -> echoes("client", port));
        }
    }

    /** Replaces {@code file} with {@code content} as a renewal job does: written beside it, then renamed over it. */
    private static void renew(Path file, byte[] content) throws Exception {
        Path next = Files.createTempFile(file.getParent(), "renewing", ".tmp");
        Files.write(next, content);
        Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Whether the client with key store {@code who} gets its byte echoed through the export on {@code port}. */
    private static boolean echoes(String who, int port) {
        try (SSLSocket s = client(who, port)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write('e');
            s.getOutputStream().flush();
            return s.getInputStream().read() == 'e';
        } catch (Exception refused) {
            return false;
        }
    }

    /**
     * At a start, Config Admin may deliver a driver's configuration with a tls:// export before the
     * registry's own (with the TLS stores). Such an export says at INFO that it waits, listens once
     * the registry's configuration comes, and gets no WARN; one whose registry configuration never
     * comes gets its WARN after {@code Export.CONFIGURATION_GRACE_S} (10 s), naming the stores, and
     * nothing listens on its port.
     */
    @Test
    public void aTlsExportBeforeTheRegistrysConfigurationWaitsForItAndWarnsOnlyWhenNoneComes() throws Exception {
        int grace = 10;
        String never = "tls://127.0.0.1:" + FreePort.find();
        String soon = "tls://127.0.0.1:" + FreePort.find();
        try (LogCapture log = new LogCapture(context)) {
            registryConfig.delete(); // the registry runs on its defaults (Config Admin delivers this before what follows)
            registryConfig = null;

            configure(NetworkConstants.PID_ECHO, "tlsnever", Map.of(NetworkConstants.NETWORK_NAME, "tls-never",
                    NetworkConstants.NETWORK_EXPORT, never));
            awaitCondition(never + " saying that it waits", () -> !log.lines("export " + never + " waits for the registry's"
                    + " configuration", "tls_key_store").isEmpty());
            assertEquals("no WARN while it waits", List.of(), log.warnings(never));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(grace) + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            while (log.warnings(never).isEmpty()) {
                assertTrue("no WARN for " + never + " within " + grace + " s and " + WAIT_MS + " ms", System.nanoTime() < deadline);
                Thread.sleep(50);
            }
            List<String> warned = log.warnings(never);
            assertEquals(warned.toString(), 1, warned.size());
            assertTrue(warned.get(0), warned.get(0).contains("tls_key_store")
                    && warned.get(0).contains("no configuration of the registry came within"));
            System.out.println("after " + grace + " s without the registry's configuration: " + warned.get(0));
            int neverPort = Integer.parseInt(never.substring(never.lastIndexOf(':') + 1));
            try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), neverPort)) {
                fail("nothing listens on " + neverPort);
            } catch (java.net.ConnectException expected) {
                // refused
            }

            long soonAsked = System.nanoTime();
            configure(NetworkConstants.PID_ECHO, "tlssoon", Map.of(NetworkConstants.NETWORK_NAME, "tls-soon",
                    NetworkConstants.NETWORK_EXPORT, soon));
            awaitCondition(soon + " saying that it waits", () -> !log.lines("export " + soon + " waits").isEmpty());
            registry(Map.of()); // the registry's configuration comes: both retry, and listen
            awaitExport(soon);
            awaitExport(never);
            try (SSLSocket s = client("client", Integer.parseInt(soon.substring(soon.lastIndexOf(':') + 1)))) {
                s.setSoTimeout((int) WAIT_MS);
                s.getOutputStream().write("late".getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                assertEquals("late", new String(s.getInputStream().readNBytes(4), StandardCharsets.UTF_8));
            }
            // past the grace of the one whose configuration came: still no WARN for it
            long left = soonAsked + TimeUnit.SECONDS.toNanos(grace + 1) - System.nanoTime();
            if (left > 0) {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left));
            }
            assertEquals("no WARN for the export whose configuration came", List.of(), log.warnings(soon));
            assertEquals("its one WARN only", 1, log.warnings(never).size());
        }
    }

    /**
     * The trusted client "client" on the export at {@code port}, which does not allow it: closed
     * after the handshake, counted as a failed connection, said in one WARN.
     *
     * @return that line
     */
    private String assertNotAllowed(int port) throws Exception {
        try (LogCapture log = new LogCapture(context); SSLSocket s = client("client", port)) {
            s.setSoTimeout((int) WAIT_MS);
            s.startHandshake();
            try {
                assertEquals("not in tls_allow: closed", -1, s.getInputStream().read());
            } catch (SSLException | java.net.SocketException closed) {
                System.out.println("outside tls_allow: " + closed);
            }
            awaitCondition("refusal counted", () -> export("tls://127.0.0.1:" + port).failedConnections() == 1);
            List<String> lines = log.warnings("export tls://127.0.0.1:" + port, "is not in tls_allow");
            assertEquals(lines.toString(), 1, lines.size());
            return lines.get(0);
        }
    }

    @Test
    public void aForwardsOwnTlsAllowServesOnlyTheClientsItNames() throws Exception {
        // the registry allows any trusted client; each forward narrows that to its own list
        int only = FreePort.find();
        int other = FreePort.find();
        configure(NetworkConstants.PID_FORWARD, "tls-only", Map.of("target", "tls-echo", "listen", "tls://127.0.0.1:" + only,
                "tls_allow", "CN=bench-client"));
        configure(NetworkConstants.PID_FORWARD, "tls-other", Map.of("target", "tls-echo", "listen", "tls://127.0.0.1:" + other,
                "tls_allow", "CN=somebody-else;CN=another,O=lab"));
        awaitExport("tls://127.0.0.1:" + only);
        awaitExport("tls://127.0.0.1:" + other);
        try (SSLSocket s = client("client", only)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write("listed".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            assertEquals("listed", new String(s.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
        }
        try {
            assertNotAllowed(other);
        } finally {
            deleteConfigurations(NetworkConstants.PID_FORWARD);
        }
    }

    @Test
    public void opensslSClientWithTheClientCertificateGetsItsEcho() throws Exception {
        if (Tools.missing("openssl", "opensslSClientWithTheClientCertificateGetsItsEcho",
                "openssl is not installed (CI installs it: .ci/run)")) {
            return;
        }
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-quiet", "-ign_eof",
                "-verify_return_error", "-CAfile", certs.pem("server").toString(), "-cert", certs.pem("client").toString(),
                "-key", certs.keyPem("client").toString()).redirectErrorStream(true).start();
        try {
            p.getOutputStream().write("hello through tls\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8));
            Future<String> echoed = Payload.THREADS.submit(() -> {
                StringBuilder seen = new StringBuilder();
                for (String line; (line = out.readLine()) != null; ) {
                    seen.append(line).append('\n');
                    if (line.equals("hello through tls")) {
                        return seen.toString();
                    }
                }
                return seen.toString();
            });
            String seen = echoed.get(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue("openssl s_client got its echo: " + seen, seen.contains("hello through tls\n"));
        } finally {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        assertEquals(0, export("tls://127.0.0.1:" + port).failedConnections());
    }
}
