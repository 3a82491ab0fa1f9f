package org.netdrivers.io;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** Summary lines of counted events: when one is due, and what it says. */
public class EventCounterTest {
    /**
     * The first event's line, due at once, covers the time since the counter began: not that time
     * plus an interval, as it said before ("in the last 20 s" of an export 10 s old).
     */
    @Test
    public void theFirstLineCoversTheTimeSinceTheCounterBegan() {
        EventCounter counter = new EventCounter(3_600_000, true);
        EventCounter.Due due = counter.count();
        assertNotNull("the first event's line is due at once", due);
        assertEquals(1, due.count());
        assertEquals("seconds the line covers (at least 1)", 1, due.seconds());
        assertEquals(1, due.total());
    }

    @Test
    public void withinTheIntervalEventsAreCountedForTheNextLine() throws InterruptedException {
        EventCounter counter = new EventCounter(1_000, true);
        assertNotNull(counter.count());
        assertNull(counter.count());
        assertNull(counter.count());
        Thread.sleep(1_100);
        EventCounter.Due due = counter.count();
        assertNotNull("a line is due once the interval passed", due);
        assertEquals("the two held back and this one", 3, due.count());
        assertTrue("it covers the interval at least: " + due.seconds(), due.seconds() >= 1);
        assertEquals(4, due.total());
    }

    @Test
    public void withoutFirstAtOnceTheFirstLineWaitsForTheInterval() {
        EventCounter counter = new EventCounter(3_600_000, false);
        assertNull(counter.count());
        assertEquals(1, counter.total());
    }
}
