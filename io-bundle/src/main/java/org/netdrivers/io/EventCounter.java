package org.netdrivers.io;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts events of one kind and says when a summary line is due: at most one per interval, so
 * that a flood of events (peers resetting, clients with no driver to serve them) is a few log
 * lines with their counts, not a line each. Thread-safe.
 */
public final class EventCounter {
    /** A summary line is due: {@code count} events in the last {@code seconds} s, {@code total} in all. */
    public record Due(long count, long seconds, long total) {
    }

    private final long intervalNanos;
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong sinceLine = new AtomicLong();
    private final AtomicLong lastLine;
    /** Where the window of the next line starts: the construction, then each line. */
    private final AtomicLong windowStart = new AtomicLong(System.nanoTime());

    /**
     * @param firstAtOnce whether the first event gets its line at once (else the first line comes
     *     an interval after construction at the earliest)
     */
    public EventCounter(long intervalMillis, boolean firstAtOnce) {
        this.intervalNanos = intervalMillis * 1_000_000;
        this.lastLine = new AtomicLong(System.nanoTime() - (firstAtOnce ? intervalNanos : 0));
    }

    /** @return the events counted so far */
    public long total() {
        return total.get();
    }

    /** Counts one event; @return the line due now, or null */
    public Due count() {
        long all = total.incrementAndGet();
        sinceLine.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLine.get();
        if (now - last >= intervalNanos && lastLine.compareAndSet(last, now)) {
            long from = windowStart.getAndSet(now);
            return new Due(sinceLine.getAndSet(0), Math.max(1, (now - from) / 1_000_000_000L), all);
        }
        return null;
    }
}
