package org.netdrivers.fleet.internal;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clients the fleet port turned away: every refusal is counted; it is said in a WARN line at most
 * once a minute per client host and kind of refusal (the line then gives the count since the
 * last), so that a flood is a line a minute, and a client that fails in a new way is still heard.
 */
final class Refusals {
    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);
    static final long INTERVAL_NANOS = 60_000_000_000L;
    private static final int MAX_KEYS = 4096;

    private final String port;
    private final AtomicLong total = new AtomicLong();
    private final Map<String, long[]> lastLine = new HashMap<>(); // key -> {nanos of last line, suppressed since}; guarded by itself

    Refusals(String port) {
        this.port = port;
    }

    long total() {
        return total.get();
    }

    /**
     * @param kind what failed: {@code tls}, {@code tls-no-certificate}, {@code tls-untrusted}, {@code not-tls}, {@code garbage},
     *     {@code forbidden}, {@code unknown}, {@code unshared}, {@code timeout}
     * @param why the cause, in words
     */
    void refused(SocketAddress client, String kind, String why) {
        long all = total.incrementAndGet();
        String host = client instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : String.valueOf(client);
        String key = host + " " + kind;
        long now = System.nanoTime();
        long suppressed;
        synchronized (lastLine) {
            long[] last = lastLine.get(key);
            if (last != null && now - last[0] < INTERVAL_NANOS) {
                last[1]++;
                return;
            }
            if (last == null && lastLine.size() >= MAX_KEYS) {
                lastLine.values().removeIf(l -> now - l[0] >= INTERVAL_NANOS);
            }
            suppressed = last == null ? 0 : last[1];
            lastLine.put(key, new long[] {now, 0});
        }
        LOG.warn("Fleet port {}: refused {} ({}): {}{}; {} refusal(s) in all", port, client, kind, why,
                suppressed > 0 ? "; " + suppressed + " more like it from " + host + " in the last minute" : "", all);
    }
}
