package org.netdrivers.websocket.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.KeyStoreFiles;
import org.netdrivers.support.stream.Completions;

/** A validated WebSocket driver configuration. */
record WebSocketSettings(URI url, boolean enableAddress, List<String[]> headers, List<String> subprotocols,
        int connectTimeoutMs, SSLContext sslContext, int maxMessageBytes, int bufferBytes, int pingIntervalS, int pingTimeoutS) {

    /** Headers the opening handshake sets itself; the JDK refuses them (WebSocket.Builder.header, HttpClient). */
    private static final java.util.Set<String> HANDSHAKE_HEADERS = java.util.Set.of("sec-websocket-accept",
            "sec-websocket-extensions", "sec-websocket-key", "sec-websocket-protocol", "sec-websocket-version",
            "connection", "content-length", "expect", "host", "upgrade");

    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

    static WebSocketSettings read(ConfigReader config) throws InvalidConfigurationException {
        WebSocketConfig c = config.read(WebSocketConfig.class);
        URI url = url(config, c.url());
        List<String[]> headers = new java.util.ArrayList<>();
        for (String h : c.headers()) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw config.invalid(WebSocketConfig.HEADERS, "'" + h + "' is not 'Name: value'");
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (!name.matches(TOKEN)) {
                throw config.invalid(WebSocketConfig.HEADERS, "'" + name + "' is not a valid header name");
            }
            if (value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t' || ch == 0x7f)) {
                throw config.invalid(WebSocketConfig.HEADERS, "the value of '" + name + "' holds a control character");
            }
            if (HANDSHAKE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw config.invalid(WebSocketConfig.HEADERS, "'" + name + "' cannot be set: the WebSocket handshake sets it itself");
            }
            headers.add(new String[] {name, value});
        }
        List<String> subprotocols = List.of(c.subprotocols());
        for (String p : subprotocols) {
            if (!p.matches(TOKEN)) {
                throw config.invalid(WebSocketConfig.SUBPROTOCOLS, "'" + p + "' is not a valid subprotocol name (an HTTP token)");
            }
        }
        if (subprotocols.size() != new java.util.HashSet<>(subprotocols).size()) {
            throw config.invalid(WebSocketConfig.SUBPROTOCOLS, "a subprotocol is offered twice: " + subprotocols);
        }
        return new WebSocketSettings(url, c.enable__address(), List.copyOf(headers), subprotocols, c.connect__timeout__ms(),
                trust(config, c, url), c.max__message__bytes(), c.buffer__bytes(), c.ping__interval__s(), c.ping__timeout__s());
    }

    private static URI url(ConfigReader config, String text) throws InvalidConfigurationException {
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

    private static SSLContext trust(ConfigReader config, WebSocketConfig c, URI url) throws InvalidConfigurationException {
        String file = c.trust__store();
        if (file.isEmpty()) {
            return null;
        }
        if (!url.getScheme().equalsIgnoreCase("wss")) {
            throw config.invalid(WebSocketConfig.TRUST_STORE, "is set, but the URL is not wss://");
        }
        String type = !c.trust__store__type().isEmpty() ? c.trust__store__type()
                : file.toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
        KeyStore store = KeyStoreFiles.load(config, WebSocketConfig.TRUST_STORE, file, type, c.trust__store__password());
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (GeneralSecurityException e) {
            throw config.invalid(WebSocketConfig.TRUST_STORE, "'" + file + "' cannot be used as a trust store: "
                    + Completions.message(e));
        }
    }
}
