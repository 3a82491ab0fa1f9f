package org.netdrivers.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.netdrivers.registry.internal.Drivers.Registered;
import org.netdrivers.registry.internal.Drivers.TestDriver;

/** What a target text selects: a name, or an LDAP filter; bad text is refused with the reason. */
public class TargetTest {
    private static Drivers drivers;
    private static Registered dut;

    @BeforeClass
    public static void setUp() throws Exception {
        drivers = new Drivers();
        dut = drivers.register(new TestDriver("d", true), "dut", 0, "bench", "7");
    }

    @AfterClass
    public static void tearDown() throws Exception {
        drivers.close();
    }

    @Test
    public void aNameMatchesTheDriverOfThatNameOnly() {
        assertTrue(Target.parse("dut").matches(dut.ref()));
        assertFalse(Target.parse("du").matches(dut.ref()));
        assertTrue("surrounding blanks do not count", Target.parse("  dut ").matches(dut.ref()));
    }

    @Test
    public void aFilterMatchesByProperties() {
        assertTrue(Target.parse("(bench=7)").matches(dut.ref()));
        assertFalse(Target.parse("(bench=8)").matches(dut.ref()));
        assertEquals("(bench=7)", Target.parse(" (bench=7)").toString());
    }

    @Test
    public void anInvalidFilterIsRefusedWithTheParsersReason() {
        try {
            Target.parse("(bench=7");
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("\"(bench=7\" is not a valid LDAP filter: "));
        }
    }

    @Test
    public void anEmptyTargetIsRefused() {
        try {
            Target.parse("   ");
            fail();
        } catch (IllegalArgumentException e) {
            assertEquals("is empty; give a network.name or an LDAP filter", e.getMessage());
        }
    }
}
