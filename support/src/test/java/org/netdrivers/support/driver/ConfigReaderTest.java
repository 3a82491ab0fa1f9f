package org.netdrivers.support.driver;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.HashMap;
import java.util.Map;

import org.junit.Test;

public class ConfigReaderTest {

    private static ConfigReader reader(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "org.netdrivers.tcp~dut");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return new ConfigReader(m);
    }

    @Test
    public void readsStringsAndTypedValues() throws Exception {
        assertEquals(22, reader("port", "22").port("port"));
        assertEquals(22, reader("port", 22L).port("port"));
        assertEquals(22, reader("port", " 22 ").port("port"));
        assertTrue(reader("x", "TRUE").bool("x", false));
        assertFalse(reader("x", Boolean.FALSE).bool("x", true));
        assertTrue(reader().bool("x", true));
        assertEquals("h", reader("host", "  h ").requiredString("host"));
        assertEquals("d", reader("e", "  ").optionalString("e", "d"));
        assertEquals(7, reader().intInRange("n", 1, 9, 7));
    }

    @Test
    public void problemsNameThePidTheFieldAndWhatIsWrong() {
        expect(() -> reader("port", "abc").port("port"), "configuration org.netdrivers.tcp~dut: field 'port' is \"abc\", not an integer");
        expect(() -> reader("port", 65536).port("port"), "field 'port' is 65536, out of range 1..65535");
        expect(() -> reader("port", 2.5).port("port"), "field 'port' is 2.5, not an integer");
        expect(() -> reader().port("port"), "field 'port' is missing");
        expect(() -> reader("host", "").requiredString("host"), "field 'host' is empty");
        expect(() -> reader("host", new String[] {"a", "b"}).requiredString("host"), "field 'host' must be a single value");
        expect(() -> reader("x", "yes").bool("x", true), "field 'x' is \"yes\", not true or false");
    }

    private interface Read {
        Object run() throws InvalidConfigurationException;
    }

    private static void expect(Read read, String message) {
        try {
            read.run();
            fail("no error, expected: " + message);
        } catch (InvalidConfigurationException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(message));
        }
    }
}
