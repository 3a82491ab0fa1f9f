package org.netdrivers.io.internal;

/**
 * How busy one I/O thread has been lately: the share of the last one to two windows of
 * {@value #WINDOW_SHIFT}-bit nanoseconds (about 134 ms each) that it spent working rather than
 * waiting in its selector. The thread says when each wait begins and ends; any thread may read.
 * A thread that has not begun its loop counts as waiting.
 */
public final class BusyTime {
    /** A window is 2^27 ns, about 134 ms. */
    static final int WINDOW_SHIFT = 27;
    private static final long WINDOW = 1L << WINDOW_SHIFT;

    // written by the measured thread only; read by others without a lock (a reading may be one change behind)
    private volatile boolean waiting = true;
    private volatile long awakeSince;
    private volatile long window;
    private volatile long busy; // ns worked in window
    private volatile long busyBefore; // ns worked in the window before it

    public BusyTime() {
        long now = System.nanoTime();
        awakeSince = now;
        window = now >> WINDOW_SHIFT;
    }

    /** The measured thread is about to wait for its selector. */
    public void waiting() {
        waiting(System.nanoTime());
    }

    /** The measured thread is back from its wait. */
    public void awake() {
        awake(System.nanoTime());
    }

    /** @return the share of the last one to two windows the thread spent working, 0 to 1 */
    public double share() {
        return share(System.nanoTime());
    }

    void waiting(long now) {
        if (waiting) {
            return;
        }
        long w = now >> WINDOW_SHIFT;
        if (w != window) {
            busyBefore = w == window + 1 ? busy : 0;
            busy = 0;
            window = w;
        }
        busy += now - awakeSince;
        waiting = true;
    }

    void awake(long now) {
        awakeSince = now;
        waiting = false;
    }

    double share(long now) {
        long w = now >> WINDOW_SHIFT;
        long counted;
        long at = window;
        if (at == w) {
            counted = busy + busyBefore;
        } else if (at == w - 1) {
            counted = busy;
        } else {
            counted = 0;
        }
        if (!waiting) {
            counted += now - awakeSince; // working right now, maybe for long
        }
        long span = WINDOW + (now & (WINDOW - 1)); // the window before this one, and this one so far
        return Math.min(1.0, counted / (double) span);
    }
}
