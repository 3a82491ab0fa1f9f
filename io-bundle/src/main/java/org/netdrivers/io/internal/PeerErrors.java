package org.netdrivers.io.internal;

import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections that a peer ended with an error (a reset, a broken pipe): counted, and summarised
 * in one INFO line at most once per interval. What a client does is never an ERROR line.
 */
final class PeerErrors {
    private static final Logger LOG = LoggerFactory.getLogger(PeerErrors.class);

    private final long intervalNanos;
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong sinceLine = new AtomicLong();
    private final AtomicLong lastLine = new AtomicLong(System.nanoTime());

    PeerErrors(long intervalMillis) {
        this.intervalNanos = intervalMillis * 1_000_000;
    }

    /** A peer ended a connection with {@code cause} ({@code what}: "read", "write"). */
    void count(String what, Throwable cause) {
        total.incrementAndGet();
        sinceLine.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLine.get();
        if (now - last >= intervalNanos && lastLine.compareAndSet(last, now)) {
            long n = sinceLine.getAndSet(0);
            LOG.info("{} connection(s) ended by their peer with an error in the last {} s (latest on {}: {}); {} in all",
                    n, Math.max(1, (now - last) / 1_000_000_000L), what,
                    cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName(), total.get());
        }
    }
}
