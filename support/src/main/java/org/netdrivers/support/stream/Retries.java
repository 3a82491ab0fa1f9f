package org.netdrivers.support.stream;

/**
 * The attempts at something that may pass without a change of configuration (an export's bind
 * while another process holds its port, a driver whose host name does not resolve yet): the wait
 * before the next attempt, 1, 2, 4, 8 and 16 s, then every {@value #MAX_WAIT_S} s; whether a
 * failure needs a log line (its reason is not the one logged last); and, once an attempt
 * succeeds, how many failed before it. Not thread-safe: its owner's attempts never overlap.
 */
public final class Retries {
    /** The longest wait between two attempts, in seconds. */
    public static final int MAX_WAIT_S = 30;

    private int failures;
    private long firstFailureNanos;
    private Object loggedReason;

    /**
     * Counts a failed attempt.
     *
     * @param reason what failed, as far as a log line tells it apart (a message, a field)
     * @return whether to log it: true unless the reason logged last is the same
     */
    public boolean failed(Object reason) {
        if (failures++ == 0) {
            firstFailureNanos = System.nanoTime();
        }
        if (reason.equals(loggedReason)) {
            return false;
        }
        loggedReason = reason;
        return true;
    }

    /** @return the seconds to wait before the next attempt, by the failures counted so far */
    public long nextWaitSeconds() {
        return Math.min(MAX_WAIT_S, 1L << Math.min(Math.max(failures - 1, 0), 5));
    }

    /**
     * An attempt succeeded: counting starts over.
     *
     * @return {@code ", after N failed attempt(s) in S s"} for the line that says so, or "" when none failed
     */
    public String succeeded() {
        String after = failures == 0 ? ""
                : String.format(java.util.Locale.ROOT, ", after %d failed attempt(s) in %.0f s", failures,
                        (System.nanoTime() - firstFailureNanos) / 1e9);
        failures = 0;
        loggedReason = null;
        return after;
    }
}
