package org.netdrivers.support.driver;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.HashMap;
import java.util.Map;

import org.junit.Test;

public class ConfigReaderTest {
    /** A configuration type as a driver declares one (its metatype resource is in the test resources). */
    @interface SampleConfig {
        String network_name();

        int port();

        int connect__timeout__ms() default 10_000;

        boolean enabled() default true;

        @ConfigReader.ListSeparator("\\r?\\n")
        String[] lines() default {};

        String[] words() default {};

        long cid() default 3;
    }

    @Test
    public void propertyNamesAreThoseOfDeclarativeServices() {
        assertEquals("network.name", ConfigType.propertyName("network_name"));
        assertEquals("connect_timeout_ms", ConfigType.propertyName("connect__timeout__ms"));
        assertEquals("a$b", ConfigType.propertyName("a$$b"));
        assertEquals("ab", ConfigType.propertyName("a$b"));
    }

    @Test
    public void keysNoTypeDeclaresAreNamedExceptTheFrameworksAndServiceProperties() throws Exception {
        ConfigReader r = reader("network.name", "n", "port", 22, "conect_timeout_ms", 5, "network.exprt", "tcp://127.0.0.1:1",
                "lab.bench", "17", "felix.fileinstall.filename", "file:/x.cfg", "component.id", 3, ".hidden", 1,
                "network.fleet", true);
        r.read(SampleConfig.class);
        assertEquals(java.util.List.of("conect_timeout_ms", "network.exprt"), r.undeclared());
    }

    @Test
    public void aConfigurationTypeGivesDefaultsRangesAndTypedValues() throws Exception {
        SampleConfig c = reader("network.name", " dut ", "port", "22", "lines", "A: 1\nB: 2", "words", "x, y").read(SampleConfig.class);
        assertEquals("dut", c.network_name());
        assertEquals(22, c.port());
        assertEquals("the method's default", 10_000, c.connect__timeout__ms());
        assertTrue(c.enabled());
        assertEquals(java.util.List.of("A: 1", "B: 2"), java.util.List.of(c.lines()));
        assertEquals(java.util.List.of("x", "y"), java.util.List.of(c.words()));
        assertEquals(3L, c.cid());
        assertEquals(4294967294L, reader("network.name", "n", "port", 1, "cid", "4294967294").read(SampleConfig.class).cid());
        String[][] refused = {
            {"port", "is missing (an integer in 1..65535 is required)"},
            {"port", "is 0, out of range 1..65535", "port", "0"},
            {"connect_timeout_ms", "is 3600001, out of range 1..3600000", "connect_timeout_ms", "3600001"},
            {"enabled", "is \"maybe\", not true or false", "enabled", "maybe"},
            {"cid", "is 4294967295, out of range 0..4294967294", "cid", "4294967295"},
            {"network.name", "is missing"},
        };
        for (String[] r : refused) {
            Map<String, Object> m = new HashMap<>();
            m.put("service.pid", "org.netdrivers.tcp~dut");
            if (!r[0].equals("network.name")) {
                m.put("network.name", "n");
            }
            if (!r[0].equals("port")) {
                m.put("port", 22);
            }
            if (r.length > 2) {
                m.put(r[2], r[3]);
            }
            try {
                new ConfigReader(m).read(SampleConfig.class);
                fail("read " + m);
            } catch (InvalidConfigurationException e) {
                assertEquals("configuration org.netdrivers.tcp~dut: field '" + r[0] + "' " + r[1], e.getMessage());
            }
        }
    }

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
        assertEquals(22, reader("port", "22").intInRange("port", 1, 65535, null));
        assertEquals(22, reader("port", 22L).intInRange("port", 1, 65535, null));
        assertEquals(22, reader("port", " 22 ").intInRange("port", 1, 65535, null));
        assertTrue(reader("x", "TRUE").bool("x", false));
        assertFalse(reader("x", Boolean.FALSE).bool("x", true));
        assertTrue(reader().bool("x", true));
        assertEquals("h", reader("host", "  h ").requiredString("host"));
        assertEquals("d", reader("e", "  ").optionalString("e", "d"));
        assertEquals(7, reader().intInRange("n", 1, 9, 7));
    }

    @Test
    public void problemsNameThePidTheFieldAndWhatIsWrong() {
        expect(() -> reader("port", "abc").intInRange("port", 1, 65535, null), "configuration org.netdrivers.tcp~dut: field 'port' is \"abc\", not an integer");
        expect(() -> reader("port", 65536).intInRange("port", 1, 65535, null), "field 'port' is 65536, out of range 1..65535");
        expect(() -> reader("port", 2.5).intInRange("port", 1, 65535, null), "field 'port' is 2.5, not an integer");
        expect(() -> reader().intInRange("port", 1, 65535, null), "field 'port' is missing");
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
