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
            settings.apply(new ConfigReader(Map.of(RegistryConfig.WAIT_MS, 100, RegistryConfig.BUFFER_BYTES, 2 << 20)));
            assertEquals(100, settings.waitMs());
            assertEquals(2 << 20, settings.bufferBytes());
            try {
                settings.apply(new ConfigReader(Map.of(RegistryConfig.WAIT_MS, 50, RegistryConfig.BUFFER_BYTES, "abc")));
                fail("applied");
            } catch (InvalidConfigurationException e) {
                assertTrue(e.getMessage(), e.getMessage().contains(RegistryConfig.BUFFER_BYTES));
            }
            assertEquals("the valid field of the refused configuration is not applied either", 100, settings.waitMs());
            assertEquals(2 << 20, settings.bufferBytes());
        } finally {
            settings.close();
        }
    }
}
