package org.netdrivers.websocket.internal;

import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.netdrivers.api.ByteStream;
import org.netdrivers.support.stream.Completions;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.TrackingDriver;

/**
 * The WebSocket driver's service object. A JDK {@link HttpClient} (its selector thread and a small
 * pool for listener calls) serves every stream; no thread per stream. Drivers that trust the
 * JDK's certificates share one client for the bundle: Java 17's client cannot be closed, and the
 * selector thread of one per driver lingered until the collector took it (one per hot swap). A
 * driver with its own trust store has its own client, released when it goes.
 */
final class WebSocketConnector extends TrackingDriver {
    /** The bundle's client for drivers without a trust store of their own; its pool's threads end when idle. */
    private static final class Shared {
        static final ExecutorService EXECUTOR = pool("netdrivers-websocket-");
        static final HttpClient CLIENT = HttpClient.newBuilder().executor(EXECUTOR).build();
    }

    private final DriverSettings common;
    private final WebSocketSettings settings;
    private final ExecutorService executor;
    private final HttpClient client;
    private final boolean own;

    WebSocketConnector(DriverSettings common, WebSocketSettings settings) {
        this.common = common;
        this.settings = settings;
        this.own = settings.sslContext() != null;
        if (own) {
            this.executor = pool("netdrivers-websocket-" + common.name() + "-");
            this.client = HttpClient.newBuilder().executor(executor).sslContext(settings.sslContext()).build();
        } else {
            this.executor = Shared.EXECUTOR;
            this.client = Shared.CLIENT;
        }
    }

    /** At most 8 daemon threads, none while idle for 30 s. */
    private static ExecutorService pool(String prefix) {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(8, 8, 30, TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), threads);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private String url() {
        return settings.url().toString();
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        CompletableFuture<ByteStream> refused = refusedIfGoing();
        if (refused != null) {
            return refused;
        }
        WebSocketStream stream = new WebSocketStream(common.describe() + " to " + url(), settings.bufferBytes(),
                settings.maxMessageBytes(), executor, settings.pingIntervalS(), settings.pingTimeoutS());
        WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(Duration.ofMillis(settings.connectTimeoutMs()));
        for (String[] h : settings.headers()) {
            builder.header(h[0], h[1]);
        }
        if (!settings.subprotocols().isEmpty()) {
            builder.subprotocols(settings.subprotocols().get(0),
                    settings.subprotocols().subList(1, settings.subprotocols().size()).toArray(new String[0]));
        }
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        CompletableFuture<WebSocket> opening;
        try {
            opening = builder.buildAsync(settings.url(), stream);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(failure(e));
        }
        opening.whenComplete((ws, error) -> {
            if (error != null) {
                result.completeExceptionally(failure(error));
                return;
            }
            handOut(stream, result);
        });
        return result;
    }

    private Exception failure(Throwable error) {
        Throwable cause = Completions.unwrap(error);
        String why;
        if (cause instanceof WebSocketHandshakeException) {
            why = "the server refused the WebSocket handshake with HTTP "
                    + ((WebSocketHandshakeException) cause).getResponse().statusCode();
        } else if (cause instanceof HttpTimeoutException) {
            why = "timed out after " + settings.connectTimeoutMs() + " ms (connect_timeout_ms)";
        } else {
            Throwable root = cause;
            while (root.getCause() != null && root.getMessage() == null) {
                root = root.getCause();
            }
            why = Completions.message(root);
        }
        ConnectException e = new ConnectException(common.describe() + ": cannot connect to " + url() + ": " + why);
        e.initCause(cause);
        return orGoingAway(e);
    }

    @Override
    public Optional<String> address() {
        return settings.enableAddress() ? Optional.of(url()) : Optional.empty();
    }

    @Override
    protected void releaseTransport() {
        if (!own) {
            return; // the shared client serves on; its pool's threads end when idle
        }
        // the streams' Close frames and their answers need the pool a moment longer
        org.netdrivers.support.stream.Delays.after(WebSocketStream.CLOSE_WAIT_MS + 500, () -> {
            executor.shutdown();
            if (client instanceof AutoCloseable) { // Java 21+: stops the client's selector thread now
                try {
                    ((AutoCloseable) client).close();
                } catch (Exception ignored) {
                    // going away anyway
                }
            }
        });
    }
}
