package org.netdrivers.support.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.netdrivers.support.driver.ConfigReader;

/**
 * A context from store files follows their changes: made again when a file changes, kept when the
 * changed file cannot be used (said once per change), left alone while nothing changes. Real
 * PKCS12 files made by the JDK's keytool.
 */
public class ReloadingTlsTest {
    private static final String PASSWORD = "changeit";
    private static Path dir;

    @BeforeClass
    public static void stores() throws Exception {
        dir = Files.createTempDirectory("reloading-tls-test");
        for (String name : List.of("first", "second")) {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias",
                    name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-validity", "2", "-storetype", "PKCS12",
                    "-keystore", dir.resolve(name + ".p12").toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(out, 0, p.waitFor());
        }
    }

    @AfterClass
    public static void removeStores() throws Exception {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    private static ReloadingTls watching(Path store) throws Exception {
        ConfigReader config = new ConfigReader(Map.of("service.pid", "test"));
        return new ReloadingTls(() -> TlsStores.context(config, "key_store", store.toString(), PASSWORD, "trust_store",
                store.toString(), PASSWORD), store, store);
    }

    /** Replaces {@code target} with a copy of {@code from} as a renewal job would: written beside it, then renamed over it. */
    private static void renew(Path from, Path target) throws Exception {
        Path next = Files.createTempFile(dir, "next", ".tmp");
        Files.copy(from, next, StandardCopyOption.REPLACE_EXISTING);
        Files.move(next, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    public void nothingChangedNothingLoaded() throws Exception {
        Path store = Files.copy(dir.resolve("first.p12"), dir.resolve("unchanged.p12"));
        ReloadingTls tls = watching(store);
        SSLContext before = tls.current();
        assertNull(tls.check());
        assertNull(tls.check());
        assertSame(before, tls.current());
    }

    @Test
    public void aRenewedFileIsLoadedAgain() throws Exception {
        Path store = Files.copy(dir.resolve("first.p12"), dir.resolve("renewed.p12"));
        ReloadingTls tls = watching(store);
        SSLContext before = tls.current();
        renew(dir.resolve("second.p12"), store);
        ReloadingTls.Change change = tls.check();
        assertNotNull("the change is seen", change);
        assertTrue(change.reloaded());
        assertNotSame("a new context", before, tls.current());
        assertNull("said once", tls.check());
    }

    @Test
    public void aFileThatCannotBeUsedKeepsTheContextAndIsSaidOnceUntilItChangesAgain() throws Exception {
        Path store = Files.copy(dir.resolve("first.p12"), dir.resolve("broken.p12"));
        ReloadingTls tls = watching(store);
        SSLContext before = tls.current();
        Files.write(store, new byte[] {1, 2, 3}); // half written
        ReloadingTls.Change change = tls.check();
        assertNotNull(change);
        assertTrue(!change.reloaded());
        assertTrue(change.problem(), change.problem().contains("key_store"));
        assertSame("the context as it was", before, tls.current());
        assertNull("the same unusable file is not said again", tls.check());
        Files.delete(store);
        change = tls.check();
        assertNotNull("gone is another change", change);
        assertTrue(!change.reloaded());
        assertSame(before, tls.current());
        renew(dir.resolve("second.p12"), store);
        change = tls.check();
        assertNotNull(change);
        assertTrue("usable again: loaded", change.reloaded());
        assertNotSame(before, tls.current());
    }
}
