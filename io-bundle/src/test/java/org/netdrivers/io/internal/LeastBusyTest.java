package org.netdrivers.io.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** The measure of an I/O thread's recent work, and the choice of a thread for a new connection by it. */
public class LeastBusyTest {
    private static final long MS = 1_000_000;
    private static final long WINDOW = 1L << BusyTime.WINDOW_SHIFT;

    @Test
    public void aThreadCountsAsBusyForTheTimeItWorkedInTheLastWindows() {
        long start = 10 * WINDOW; // the start of a window (about 134 ms)
        BusyTime t = new BusyTime();
        assertEquals("not begun: waiting", 0.0, t.share(start), 0.0);
        t.awake(start);
        t.waiting(start + 40 * MS); // 40 ms of work
        t.awake(start + 100 * MS);
        t.waiting(start + 120 * MS); // and 20 more
        double span = WINDOW + 120 * MS;
        assertEquals(60 * MS / span, t.share(start + 120 * MS), 1e-9);
        t.awake(start + 125 * MS);
        assertEquals("working right now counts", 65 * MS / (WINDOW + 130.0 * MS), t.share(start + 130 * MS), 1e-9);
        t.waiting(start + WINDOW + 10 * MS); // ends in the next window
        double inNext = (60 * MS + WINDOW + 10 * MS - 125 * MS) / (double) (WINDOW + 10 * MS);
        assertEquals("the window before counts", inNext, t.share(start + WINDOW + 10 * MS), 1e-9);
        assertEquals("two windows later only the last one counts: nothing was worked in it",
                0.0, t.share(start + 3 * WINDOW), 0.0);
        t.awake(start + 5 * WINDOW);
        assertEquals("a thread working for longer than the windows counts as fully busy",
                1.0, t.share(start + 8 * WINDOW), 0.0);
    }

    @Test
    public void threadsAboutAsBusyTakeTurns() {
        double[] shares = {0.10, 0.20, 0.0};
        LeastBusy placement = new LeastBusy(3, i -> shares[i]);
        int[] picked = new int[3];
        for (int n = 0; n < 30; n++) {
            picked[placement.pick()]++;
        }
        assertEquals(10, picked[0]);
        assertEquals(10, picked[1]);
        assertEquals(10, picked[2]);
    }

    @Test
    public void aBusyThreadGetsNoNewConnectionWhileAnotherHasTime() {
        double[] shares = {1.0, 0.05};
        LeastBusy placement = new LeastBusy(2, i -> shares[i]);
        for (int n = 0; n < 20; n++) {
            assertEquals("connection " + n, 1, placement.pick());
        }
    }

    @Test
    public void aBurstOfConnectionsSpreadsBeforeItShowsInTheMeasure() {
        double[] shares = {1.0, 0.05};
        LeastBusy placement = new LeastBusy(2, i -> shares[i]);
        int toBusy = 0;
        for (int n = 0; n < 200; n++) {
            toBusy += placement.pick() == 0 ? 1 : 0;
        }
        // each connection placed counts as 2% of a thread: the idle one takes the first 35 or so, then they take turns
        assertTrue("the busy thread took " + toBusy + " of 200", toBusy >= 70 && toBusy <= 90);
    }
}
