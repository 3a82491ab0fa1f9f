package org.netdrivers.support.stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

/** The waits between attempts, the log lines they need, and what the success says (no clock involved but the count). */
public class RetriesTest {
    @Test
    public void theWaitsDoubleFromOneSecondUpToThirty() {
        Retries r = new Retries();
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            r.failed("address in use");
            waits.add(r.nextWaitSeconds());
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L), waits);
    }

    @Test
    public void aFailureIsLoggedOncePerReason() {
        Retries r = new Retries();
        assertTrue("the first", r.failed("address in use"));
        assertFalse("the same again", r.failed("address in use"));
        assertTrue("another reason", r.failed("no such address"));
        assertTrue("back to the first: it differs from the one logged last", r.failed("address in use"));
    }

    @Test
    public void aSuccessSaysHowManyFailedAndStartsOver() {
        Retries r = new Retries();
        assertEquals("none failed", "", r.succeeded());
        r.failed("a");
        r.failed("a");
        r.failed("a");
        String after = r.succeeded();
        assertTrue(after, after.startsWith(", after 3 failed attempt(s) in "));
        assertTrue(after, after.endsWith(" s"));
        assertEquals("counting starts over", "", r.succeeded());
        assertTrue("and the reason is logged again", r.failed("a"));
        assertEquals(1, r.nextWaitSeconds());
    }
}
