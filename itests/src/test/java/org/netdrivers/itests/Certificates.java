package org.netdrivers.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key and trust stores made at test time with the JDK's keytool: self-signed certificates for a
 * server and for clients, PKCS12, password {@link #PASSWORD}; and each certificate as PEM for
 * tools such as openssl.
 */
final class Certificates {
    static final String PASSWORD = "changeit";

    private final Path dir;

    Certificates(Path dir) {
        this.dir = dir;
    }

    /** Certificates in a new folder {@code prefix…} of the module's build folder (removed by {@code mvn clean}). */
    static Certificates inBuildFolder(String prefix) throws IOException {
        return new Certificates(BuildFolder.newFolder(prefix));
    }

    /** A key store {@code name.p12} with a self-signed certificate for {@code CN=cn}, and its certificate as {@code name.pem}. */
    Path keyStore(String name, String cn) throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=" + cn, "-validity", "2", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", name, "-keystore", store.toString(), "-storepass", PASSWORD,
                "-file", dir.resolve(name + ".pem").toString());
        return store;
    }

    /** A trust store {@code name.p12} holding the certificates of the key stores named. */
    Path trustStore(String name, String... trusted) throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        for (String t : trusted) {
            keytool("-importcert", "-noprompt", "-alias", t, "-file", dir.resolve(t + ".pem").toString(),
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD);
        }
        return store;
    }

    /** The PKCS12 file of key or trust store {@code name}. */
    Path store(String name) {
        return dir.resolve(name + ".p12");
    }

    /** The PEM certificate of key store {@code name}. */
    Path pem(String name) {
        return dir.resolve(name + ".pem");
    }

    /** The private key of key store {@code name} as unencrypted PEM (PKCS#8), for openssl; written once. */
    Path keyPem(String name) throws Exception {
        Path out = dir.resolve(name + ".key");
        if (!Files.exists(out)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(dir.resolve(name + ".p12"))) {
                ks.load(in, PASSWORD.toCharArray());
            }
            java.security.Key key = ks.getKey(name, PASSWORD.toCharArray());
            String b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded());
            Files.writeString(out, "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n");
        }
        return out;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }
}
