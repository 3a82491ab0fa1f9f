package org.netdrivers.registry.internal;

import java.util.Set;

import javax.net.ssl.SSLContext;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.ReloadingTls;
import org.netdrivers.support.net.TlsStores;

/** The TLS identity and trust of tls:// exports, from the registry's configuration, checked when configured. */
final class Tls {
    private Tls() {}

    /**
     * @return the context for tls:// exports, made again when a store file changes; null when no
     *     key store is configured
     * @throws InvalidConfigurationException naming the field whose file is missing, unreadable or empty
     */
    static ReloadingTls context(ConfigReader config, RegistryConfig c) throws InvalidConfigurationException {
        if (c.tls__key__store().isEmpty()) {
            if (!c.tls__trust__store().isEmpty()) {
                throw config.invalid("tls_key_store", "is missing: tls_trust_store is set, and a tls:// export needs both");
            }
            return null;
        }
        if (c.tls__trust__store().isEmpty()) {
            throw config.invalid("tls_trust_store", "is missing: a tls:// export authenticates its clients (mutual TLS) against it");
        }
        return new ReloadingTls(() -> TlsStores.context(config, "tls_key_store", c.tls__key__store(), c.tls__key__store__password(),
                "tls_trust_store", c.tls__trust__store(), c.tls__trust__store__password()),
                java.nio.file.Path.of(c.tls__key__store()), java.nio.file.Path.of(c.tls__trust__store()));
    }

    /** tls_allow's names in their canonical form ({@link TlsStores#allowList}). */
    static Set<String> allowList(ConfigReader config, String[] names) throws InvalidConfigurationException {
        return TlsStores.allowList(config, "tls_allow", names);
    }
}
