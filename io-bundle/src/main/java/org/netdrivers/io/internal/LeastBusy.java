package org.netdrivers.io.internal;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * Which of a set of I/O threads takes a new connection: the least busy ({@link BusyTime}), so that
 * a connection does not join a thread a bulk transfer keeps busy while another has time (its
 * round trips would wait behind that transfer's reads and writes); among threads about as busy
 * (within {@link #MARGIN} of a thread's time), each in turn. A connection stays on the thread it
 * was given, so each one placed counts as {@link #PLACED} of its thread's time until the next
 * window: a burst of connections that arrives before any of them shows in the measure still
 * spreads over the threads.
 */
final class LeastBusy {
    /** Threads whose measure is within this of the least busy one's take turns. */
    static final double MARGIN = 0.25;
    /** What a connection placed in the current window adds to its thread's measure. */
    static final double PLACED = 0.02;

    private final IntToDoubleFunction shares;
    private final int threads;
    private final int[] placed; // in the current window; guarded by this
    private long placedWindow;
    private int next;

    /** @param shares thread i's {@link BusyTime#share()}, for i from 0 to {@code threads - 1} */
    LeastBusy(int threads, IntToDoubleFunction shares) {
        this.threads = threads;
        this.shares = shares;
        this.placed = new int[threads];
    }

    /** @return each thread's measure now, in order */
    double[] shares() {
        double[] shares = new double[threads];
        for (int i = 0; i < threads; i++) {
            shares[i] = this.shares.applyAsDouble(i);
        }
        return shares;
    }

    /** @return the thread that takes the next connection, from 0 to {@code threads - 1} */
    synchronized int pick() {
        long now = System.nanoTime();
        long w = now >> BusyTime.WINDOW_SHIFT;
        if (w != placedWindow) {
            Arrays.fill(placed, 0);
            placedWindow = w;
        }
        double[] score = shares();
        double least = Double.MAX_VALUE;
        for (int i = 0; i < threads; i++) {
            score[i] += PLACED * placed[i];
            least = Math.min(least, score[i]);
        }
        int start = next;
        next = (next + 1) % threads;
        for (int k = 0; k < threads; k++) {
            int i = (start + k) % threads;
            if (score[i] <= least + MARGIN) {
                placed[i]++;
                return i;
            }
        }
        throw new AssertionError("no thread within the margin of the least busy");
    }
}
