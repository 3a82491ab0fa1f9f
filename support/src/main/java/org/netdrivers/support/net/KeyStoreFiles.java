package org.netdrivers.support.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.stream.Completions;

/** Key and trust store files named in a configuration, loaded and checked when configured. */
public final class KeyStoreFiles {
    private KeyStoreFiles() {}

    /**
     * @param type PKCS12 or JKS
     * @param password null or empty for none
     * @throws InvalidConfigurationException naming {@code field}: not an absolute path, missing,
     *     unreadable as {@code type}, or empty
     */
    public static KeyStore load(ConfigReader config, String field, String file, String type, String password)
            throws InvalidConfigurationException {
        Path path = Path.of(file);
        if (!path.isAbsolute()) {
            throw config.invalid(field, "'" + file + "' is not an absolute path");
        }
        if (!Files.isRegularFile(path)) {
            throw config.invalid(field, "'" + file + "' does not exist or is not a file");
        }
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password == null || password.isEmpty() ? null : password.toCharArray());
            if (store.size() == 0) {
                throw config.invalid(field, "'" + file + "' holds no certificate");
            }
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw config.invalid(field, "'" + file + "' cannot be read as a " + type + " store: " + Completions.message(e));
        }
    }
}
