package org.netdrivers.registry.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Map;

import org.junit.Test;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;

/** The registry's configuration applies whole or not at all. */
public class ExportSettingsTest {
    @Test
    public void anInvalidFieldLeavesEveryPreviousSettingAsItWas() throws Exception {
        ExportSettings settings = new ExportSettings(new EndpointTable(), null);
        try {
            settings.apply(new ConfigReader(Map.of("wait_ms", 100, "buffer_bytes", 2 << 20)));
            assertEquals(100, settings.waitMs());
            assertEquals(2 << 20, settings.bufferBytes());
            try {
                settings.apply(new ConfigReader(Map.of("wait_ms", 50, "buffer_bytes", "abc")));
                fail("applied");
            } catch (InvalidConfigurationException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("buffer_bytes"));
            }
            assertEquals("the valid field of the refused configuration is not applied either", 100, settings.waitMs());
            assertEquals(2 << 20, settings.bufferBytes());
        } finally {
            settings.close();
        }
    }

    /** A .cfg file's tls_allow: names separated by ';', each a distinguished name with its commas. */
    @Test
    public void tlsAllowFromACfgFileKeepsTheCommasOfEachName() throws Exception {
        ExportSettings settings = new ExportSettings(new EndpointTable(), null);
        try {
            settings.apply(new ConfigReader(Map.of("service.pid", "org.netdrivers.registry",
                    "tls_allow", "CN=bench-17,O=lab; CN=bench-18, O=lab")));
            assertEquals(java.util.Set.of("cn=bench-17,o=lab", "cn=bench-18,o=lab"), settings.tlsAllow());
        } finally {
            settings.close();
        }
    }

    /** Defaults and ranges are RegistryConfig's own (its method defaults and its metatype's min and max). */
    @Test
    public void defaultsAndRangesComeFromTheConfigurationType() throws Exception {
        ExportSettings settings = new ExportSettings(new EndpointTable(), null);
        try {
            assertEquals(5000, settings.waitMs());
            assertEquals(1 << 20, settings.bufferBytes());
            assertEquals(1024, settings.udpMaxSessions());
            assertEquals(60, settings.udpIdleSeconds());
            assertEquals(0, settings.socketBufferBytes());
            assertEquals(1 << 20, settings.udpSocketBufferBytes());
            String[][] refused = {
                {"wait_ms", "3600001", "is 3600001, out of range 0..3600000"},
                {"buffer_bytes", "1048575", "is 1048575, out of range 1048576..1073741824"},
                {"udp_max_sessions", "0", "is 0, out of range 1..1000000"},
                {"udp_idle_timeout_s", "x", "is \"x\", not an integer"},
                {"socket_buffer_bytes", "100", "100 is too small"},
                {"udp_socket_buffer_bytes", "4095", "4095 is too small: 0 for the system's default, or 4096..67108864"},
                {"udp_socket_buffer_bytes", "67108865", "is 67108865, out of range 0..67108864"},
                {"tls_allow", "no equals sign", "'no equals sign' is not a distinguished name"},
            };
            for (String[] r : refused) {
                try {
                    settings.apply(new ConfigReader(Map.of("service.pid", "org.netdrivers.registry", r[0], r[1])));
                    fail("applied " + r[0] + "=" + r[1]);
                } catch (InvalidConfigurationException e) {
                    assertTrue(e.getMessage(), e.getMessage().contains(r[0]) && e.getMessage().contains(r[2]));
                }
            }
            assertEquals(5000, settings.waitMs());
        } finally {
            settings.close();
        }
    }
}
