package org.netdrivers.registry.internal;

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
import org.netdrivers.support.net.KeyStoreFiles;
import org.netdrivers.support.stream.Completions;

/** The TLS identity and trust of tls:// exports, from the registry's configuration, checked when configured. */
final class Tls {
    private Tls() {}

    /**
     * @return the context for tls:// exports, or null when no key store is configured
     * @throws InvalidConfigurationException naming the field whose file is missing, unreadable or empty
     */
    static SSLContext context(ConfigReader config, RegistryConfig c) throws InvalidConfigurationException {
        if (c.tls__key__store().isEmpty()) {
            if (!c.tls__trust__store().isEmpty()) {
                throw config.invalid("tls_key_store", "is missing: tls_trust_store is set, and a tls:// export needs both");
            }
            return null;
        }
        if (c.tls__trust__store().isEmpty()) {
            throw config.invalid("tls_trust_store", "is missing: a tls:// export authenticates its clients (mutual TLS) against it");
        }
        KeyStore keys = KeyStoreFiles.load(config, "tls_key_store", c.tls__key__store(), "PKCS12", c.tls__key__store__password());
        KeyStore trust = KeyStoreFiles.load(config, "tls_trust_store", c.tls__trust__store(), "PKCS12",
                c.tls__trust__store__password());
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, c.tls__key__store__password().toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw config.invalid("tls_key_store", "'" + c.tls__key__store() + "' gives no usable key: " + Completions.message(e));
        }
    }

    /**
     * tls_allow's names in one form (RFC 2253, canonical), so that spacing and case of attribute
     * names do not matter; a name that is not a distinguished name is refused, named.
     */
    static Set<String> allowList(ConfigReader config, String[] names) throws InvalidConfigurationException {
        Set<String> out = new TreeSet<>();
        for (String n : names) {
            try {
                out.add(canonical(new X500Principal(n)));
            } catch (IllegalArgumentException e) {
                throw config.invalid("tls_allow", "'" + n + "' is not a distinguished name (such as CN=bench-17,O=lab)");
            }
        }
        return out;
    }

    /** The canonical form of a certificate subject, to compare with {@link #allowList}. */
    static String canonical(X500Principal subject) {
        return subject.getName(X500Principal.CANONICAL);
    }
}
