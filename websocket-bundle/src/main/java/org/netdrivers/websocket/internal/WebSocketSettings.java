package org.netdrivers.websocket.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.stream.Completions;

/** A validated WebSocket driver configuration. */
record WebSocketSettings(URI url, boolean enableAddress, List<String[]> headers, List<String> subprotocols,
        int connectTimeoutMs, SSLContext sslContext, int maxMessageBytes, int bufferBytes) {

    /** Headers the opening handshake sets itself; the JDK refuses them (WebSocket.Builder.header, HttpClient). */
    private static final java.util.Set<String> HANDSHAKE_HEADERS = java.util.Set.of("sec-websocket-accept",
            "sec-websocket-extensions", "sec-websocket-key", "sec-websocket-protocol", "sec-websocket-version",
            "connection", "content-length", "expect", "host", "upgrade");

    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

    static WebSocketSettings read(ConfigReader config) throws InvalidConfigurationException {
        URI url = url(config);
        List<String[]> headers = new java.util.ArrayList<>();
        for (String h : config.stringList(WebSocketConfig.HEADERS, "\\r?\\n")) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw config.invalid(WebSocketConfig.HEADERS, "'" + h + "' is not 'Name: value'");
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (!name.matches(TOKEN)) {
                throw config.invalid(WebSocketConfig.HEADERS, "'" + name + "' is not a valid header name");
            }
            if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw config.invalid(WebSocketConfig.HEADERS, "the value of '" + name + "' holds a control character");
            }
            if (HANDSHAKE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw config.invalid(WebSocketConfig.HEADERS, "'" + name + "' cannot be set: the WebSocket handshake sets it itself");
            }
            headers.add(new String[] {name, value});
        }
        List<String> subprotocols = config.stringList(WebSocketConfig.SUBPROTOCOLS, ",");
        for (String p : subprotocols) {
            if (!p.matches(TOKEN)) {
                throw config.invalid(WebSocketConfig.SUBPROTOCOLS, "'" + p + "' is not a valid subprotocol name (an HTTP token)");
            }
        }
        if (subprotocols.size() != new java.util.HashSet<>(subprotocols).size()) {
            throw config.invalid(WebSocketConfig.SUBPROTOCOLS, "a subprotocol is offered twice: " + subprotocols);
        }
        int timeout = config.intInRange(WebSocketConfig.CONNECT_TIMEOUT_MS, 1, 3_600_000, WebSocketConfig.DEFAULT_CONNECT_TIMEOUT_MS);
        SSLContext ssl = trust(config, url);
        WebSocketSettings settings = new WebSocketSettings(url, config.bool(NetworkConstants.ENABLE_ADDRESS, true), List.copyOf(headers),
                List.copyOf(subprotocols), timeout, ssl,
                config.intInRange(WebSocketConfig.MAX_MESSAGE_BYTES, 1, 1 << 30, WebSocketConfig.DEFAULT_MAX_MESSAGE_BYTES),
                config.intInRange(WebSocketConfig.BUFFER_BYTES, 256 * 1024, 1 << 30, WebSocketConfig.DEFAULT_BUFFER_BYTES));
        return settings;
    }

    private static URI url(ConfigReader config) throws InvalidConfigurationException {
        String text = config.requiredString(WebSocketConfig.URL);
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw config.invalid(WebSocketConfig.URL, "'" + text + "' is not a URL: " + e.getMessage());
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw config.invalid(WebSocketConfig.URL, "'" + text + "' must start with ws:// or wss://"
                    + (scheme.isEmpty() ? "" : ", not " + scheme + "://"));
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw config.invalid(WebSocketConfig.URL, "'" + text + "' names no host");
        }
        if (url.getRawUserInfo() != null) {
            throw config.invalid(WebSocketConfig.URL, "'" + text + "' holds user information, which is not sent;"
                    + " give credentials as a header (Authorization)");
        }
        if (url.getRawFragment() != null) {
            throw config.invalid(WebSocketConfig.URL, "'" + text + "' has a fragment (#...), which a WebSocket URL must not have");
        }
        if (url.getPort() == 0 || url.getPort() > 65535) {
            throw config.invalid(WebSocketConfig.URL, "'" + text + "': port " + url.getPort() + " is out of range 1..65535");
        }
        return url;
    }

    private static SSLContext trust(ConfigReader config, URI url) throws InvalidConfigurationException {
        String file = config.optionalString(WebSocketConfig.TRUST_STORE, null);
        if (file == null) {
            return null;
        }
        if (!url.getScheme().equalsIgnoreCase("wss")) {
            throw config.invalid(WebSocketConfig.TRUST_STORE, "is set, but the URL is not wss://");
        }
        Path path = Path.of(file);
        if (!path.isAbsolute()) {
            throw config.invalid(WebSocketConfig.TRUST_STORE, "'" + file + "' is not an absolute path");
        }
        if (!Files.isRegularFile(path)) {
            throw config.invalid(WebSocketConfig.TRUST_STORE, "'" + file + "' does not exist or is not a file");
        }
        String type = config.optionalString(WebSocketConfig.TRUST_STORE_TYPE, file.toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12");
        String password = config.optionalString(WebSocketConfig.TRUST_STORE_PASSWORD, null);
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password == null ? null : password.toCharArray());
            if (store.size() == 0) {
                throw config.invalid(WebSocketConfig.TRUST_STORE, "'" + file + "' holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw config.invalid(WebSocketConfig.TRUST_STORE, "'" + file + "' cannot be read as a " + type + " trust store: "
                    + Completions.message(e));
        }
    }
}
