package org.netdrivers.support.net;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Set;
import java.util.TreeSet;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.stream.Completions;

/** A mutual-TLS identity and trust from PKCS12 files named in a configuration, and allow lists of certificate subjects. */
public final class TlsStores {
    private TlsStores() {}

    /**
     * @param keyField the configuration field naming {@code keyFile}, for messages (so {@code trustField})
     * @throws InvalidConfigurationException naming the field whose file is missing, unreadable (a
     *     wrong password), empty, or gives no usable key
     */
    public static SSLContext context(ConfigReader config, String keyField, String keyFile, String keyPassword,
            String trustField, String trustFile, String trustPassword) throws InvalidConfigurationException {
        KeyStore keys = KeyStoreFiles.load(config, keyField, keyFile, "PKCS12", keyPassword);
        KeyStore trust = KeyStoreFiles.load(config, trustField, trustFile, "PKCS12", trustPassword);
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, keyPassword.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw config.invalid(keyField, "'" + keyFile + "' gives no usable key: " + Completions.message(e));
        }
    }

    /**
     * Subjects in one form (RFC 2253, canonical), so that spacing and case of attribute names do
     * not matter; a name that is not a distinguished name is refused, naming {@code field}.
     */
    public static Set<String> allowList(ConfigReader config, String field, String[] names) throws InvalidConfigurationException {
        Set<String> out = new TreeSet<>();
        for (String n : names) {
            try {
                out.add(canonical(new X500Principal(n)));
            } catch (IllegalArgumentException e) {
                throw config.invalid(field, "'" + n + "' is not a distinguished name (such as CN=bench-17,O=lab)");
            }
        }
        return out;
    }

    /** @return whether a client whose certificate has {@code subject} (null: none) is served under {@code allow} (empty: any) */
    public static boolean allows(Set<String> allow, X500Principal subject) {
        return allow.isEmpty() || (subject != null && allow.contains(canonical(subject)));
    }

    /** The canonical form of a certificate subject, to compare with {@link #allowList}. */
    private static String canonical(X500Principal subject) {
        return subject.getName(X500Principal.CANONICAL);
    }
}
