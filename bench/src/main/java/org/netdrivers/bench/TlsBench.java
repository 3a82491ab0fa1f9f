package org.netdrivers.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A tls:// export beside a plain one of the same echo server: certificates made with the JDK's
 * keytool (written into etc/ before the runtime starts), then echo throughput through each and,
 * where socat is installed, through socat's OpenSSL forward of the same echo server with the
 * same certificates (mutual TLS too), in interleaved rounds.
 */
final class TlsBench {
    private static final String PASSWORD = "bench-only";

    private final Path dir;
    private final int tlsExport;
    private final int echoPort;
    private javax.net.ssl.KeyManager[] clientKeys; // read at the first connection
    private javax.net.ssl.TrustManager[] clientTrust;

    private TlsBench(Path dir, int tlsExport, int echoPort) {
        this.dir = dir;
        this.tlsExport = tlsExport;
        this.echoPort = echoPort;
    }

    /** Stores for the runtime and a client, the registry's TLS fields, and a TCP driver to {@code echoPort} exported on tls://. */
    static TlsBench prepare(Path etc, int echoPort) throws Exception {
        Path dir = Files.createTempDirectory("nd-bench-tls");
        for (String who : List.of("runtime", "client")) {
            keytool("-genkeypair", "-alias", who, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bench-" + who,
                    "-validity", "2", "-storetype", "PKCS12", "-keystore", dir.resolve(who + ".p12").toString(),
                    "-storepass", PASSWORD, "-keypass", PASSWORD);
            keytool("-exportcert", "-alias", who, "-keystore", dir.resolve(who + ".p12").toString(), "-storepass", PASSWORD,
                    "-file", dir.resolve(who + ".cer").toString());
            String other = who.equals("runtime") ? "client" : "runtime";
            keytool("-importcert", "-noprompt", "-alias", who, "-file", dir.resolve(who + ".cer").toString(),
                    "-storetype", "PKCS12", "-keystore", dir.resolve("trusted-by-" + other + ".p12").toString(), "-storepass", PASSWORD);
        }
        // for socat's OpenSSL forward: the runtime's key and certificate in one PEM file, the client's certificate
        keytool("-exportcert", "-rfc", "-alias", "client", "-keystore", dir.resolve("client.p12").toString(), "-storepass", PASSWORD,
                "-file", dir.resolve("client.cer.pem").toString());
        KeyStore runtime = load(dir.resolve("runtime.p12"));
        java.util.Base64.Encoder pem = java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Files.writeString(dir.resolve("runtime.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + pem.encodeToString(runtime.getKey("runtime", PASSWORD.toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n"
                + "-----BEGIN CERTIFICATE-----\n" + pem.encodeToString(runtime.getCertificate("runtime").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        Files.writeString(etc.resolve("org.netdrivers.registry.cfg"), "tls_key_store = " + dir.resolve("runtime.p12")
                + "\ntls_key_store_password = " + PASSWORD + "\ntls_trust_store = " + dir.resolve("trusted-by-runtime.p12")
                + "\ntls_trust_store_password = " + PASSWORD + "\n");
        int port = Bench.freePort();
        Files.writeString(etc.resolve("org.netdrivers.tcp-techo.cfg"), "network.name = techo\nhost = 127.0.0.1\nport = " + echoPort
                + "\nnetwork.export = tls://127.0.0.1:" + port + "\n");
        return new TlsBench(dir, port, echoPort);
    }

    /**
     * Prints echo MiB/s through the plain export on {@code plainPort}, through the tls:// export
     * and, where socat is installed, through a socat OpenSSL forward (started here, added to
     * {@code started}): the median of {@link ExternalTools#ROUNDS} interleaved rounds each, and the
     * median of the rounds' ratios. Each TLS connection is a new client session (no resumption:
     * socat 1.7 with OpenSSL 3 refuses the JDK client's resumption offer).
     */
    void run(int plainPort, long bytes, List<Process> started) throws Exception {
        Integer viaSocat = null;
        if (Bench.socatInstalled()) {
            viaSocat = Bench.freePort();
            started.add(socatTls(viaSocat));
            Bench.awaitListening(viaSocat);
        }
        // warm up each path; the tls:// export longer: the runtime's TLS code is compiled meanwhile (a first
        // round of the same length as the others, just after, still ran at a quarter of the later ones)
        echoed(new Socket(InetAddress.getLoopbackAddress(), plainPort), bytes);
        echoed(tlsSocket(tlsExport), 2 * bytes);
        Integer socatPort = viaSocat;
        if (socatPort != null) {
            echoed(tlsSocket(socatPort), bytes);
        }
        double[][] rounds = ExternalTools.interleaved(java.util.Arrays.asList(
                () -> echoed(new Socket(InetAddress.getLoopbackAddress(), plainPort), bytes), () -> echoed(tlsSocket(tlsExport), bytes),
                socatPort == null ? null : () -> echoed(tlsSocket(socatPort), bytes)));
        double[] plain = rounds[0];
        double[] tls = rounds[1];
        double[] socat = rounds[2];
        System.out.printf(Locale.ROOT, "echo MiB/s (sent and read back at once, %d MiB; mutual TLS, a JDK client encrypting too): plain export %.0f"
                + " | tls export %.0f (%.2fx plain) | socat OpenSSL forward %s%n", bytes >> 20, ExternalTools.median(plain),
                ExternalTools.median(tls), ExternalTools.medianRatio(tls, plain), socat == null ? "- (socat is not installed)"
                        : String.format(Locale.ROOT, "%.0f (tls export %.2fx socat; by round %s)", ExternalTools.median(socat),
                                ExternalTools.medianRatio(tls, socat), ExternalTools.rounds(tls, socat)));
    }

    /** {@code socat OPENSSL-LISTEN} on {@code port}: the runtime's key and certificate, clients checked against the client's certificate. */
    private Process socatTls(int port) throws IOException {
        return new ProcessBuilder("socat", "-b262144", "OPENSSL-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork,cert="
                + dir.resolve("runtime.pem") + ",cafile=" + dir.resolve("client.cer.pem") + ",verify=1", "TCP:127.0.0.1:" + echoPort)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /**
     * Waits (15 s at most) until the tls:// export completes a handshake. A plain connect as the
     * probe would be a client that closed before its handshake, which the export reports (WARN).
     */
    void awaitHandshake() throws Exception {
        Bench.awaitProbe("no TLS handshake with 127.0.0.1:" + tlsExport, () -> {
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tlsSocket(tlsExport)) {
                s.startHandshake();
            }
        });
    }

    private Socket tlsSocket(int port) throws Exception {
        return clientContext().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
    }

    /** MiB/s of {@code bytes} sent while the echo of them is read back on the same connection. */
    private static double echoed(Socket s, long bytes) throws Exception {
        try (s) {
            long t0 = System.nanoTime();
            OutputStream out = s.getOutputStream();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    for (long n = 0; n < bytes; n += chunk.length) {
                        out.write(chunk);
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 * 1024];
            long got = 0;
            while (got < bytes) {
                int n = in.read(buf);
                if (n < 0) {
                    throw new IOException("the echo ended after " + got + " of " + bytes + " bytes");
                }
                got += n;
            }
            sent.get(60, TimeUnit.SECONDS);
            return bytes / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
        }
    }

    /** A new client context (no session of an earlier connection to resume) over the client's key and trust, read once. */
    private SSLContext clientContext() throws Exception {
        if (clientKeys == null) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(dir.resolve("client.p12")), PASSWORD.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(dir.resolve("trusted-by-client.p12")));
            clientKeys = kmf.getKeyManagers();
            clientTrust = tmf.getTrustManagers();
        }
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(clientKeys, clientTrust, null);
        return ssl;
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
    }
}
