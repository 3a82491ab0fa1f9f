package org.netdrivers.jumpstarter.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.Test;

public class ExporterConfigTest {

    private static ExporterConfig exporter() throws Exception {
        try (InputStreamReader r = new InputStreamReader(ExporterConfigTest.class.getResourceAsStream("/exporter.yaml"), StandardCharsets.UTF_8)) {
            return ExporterConfig.read(r);
        }
    }

    private static ExporterConfig.Driver driver(ExporterConfig c, String path) {
        return c.drivers().stream().filter(d -> d.path().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no driver " + path + " in " + c.drivers()));
    }

    @Test
    public void everyNetworkDriverOfTheTreeBecomesAConfigurationNamedByItsPath() throws Exception {
        ExporterConfig c = exporter();
        assertEquals(List.of("ssh", "dut.console", "dut.tcp", "dut.logs", "dut.bus", "web", "loop", "shell"),
                c.drivers().stream().map(ExporterConfig.Driver::path).collect(Collectors.toList()));
        assertEquals("org.netdrivers.tcp", driver(c, "ssh").factoryPid());
        assertEquals(Map.of("network.name", "ssh", "host", "192.168.1.20", "port", 22), driver(c, "ssh").properties());
        assertEquals(Map.of("network.name", "dut.console", "path", "/run/dut/console.sock"), driver(c, "dut.console").properties());
        assertEquals("org.netdrivers.unix", driver(c, "dut.console").factoryPid());
        assertEquals(false, driver(c, "dut.tcp").properties().get("enable_address"));
        assertEquals("org.netdrivers.udp", driver(c, "dut.logs").factoryPid());
        assertEquals("system", driver(c, "dut.bus").properties().get("kind"));
        assertEquals("org.netdrivers.websocket", driver(c, "web").factoryPid());
        assertEquals("org.netdrivers.echo", driver(c, "loop").factoryPid());
    }

    @Test
    public void aRefToANetworkDriverIsThatDriverUnderTheRefsName() throws Exception {
        ExporterConfig.Driver shell = driver(exporter(), "shell");
        assertEquals("org.netdrivers.tcp", shell.factoryPid());
        assertEquals(Map.of("network.name", "shell", "host", "192.168.1.20", "port", 8080, "enable_address", false), shell.properties());
    }

    @Test
    public void everyOtherEntryIsReportedAsSkippedWithTheReason() throws Exception {
        List<String> skipped = exporter().skipped();
        assertEquals(skipped.toString(), 4, skipped.size());
        assertTrue(skipped.toString(), skipped.contains("'dut' (jumpstarter_driver_composite.driver.Composite) skipped: not a network driver (its children are read)"));
        assertTrue(skipped.toString(), skipped.contains("'power' (jumpstarter_driver_yepkit.driver.Ykush) skipped: not a network driver"));
        assertTrue(skipped.toString(), skipped.contains("'dut.serial' (jumpstarter_driver_pyserial.driver.PySerial) skipped: not a network driver"));
        assertTrue(skipped.toString(), skipped.contains("'reference' (ref to 'power') skipped: 'power' is not a network driver of this file"));
    }

    @Test
    public void listsBecomeStringArrays() {
        ExporterConfig c = ExporterConfig.read(new StringReader(String.join("\n", "apiVersion: jumpstarter.dev/v1alpha1",
                "kind: ExporterConfig", "export:", "  api:", "    type: jumpstarter_driver_network.driver.WebsocketNetwork",
                "    config:", "      url: ws://127.0.0.1:1/", "      subprotocols: [a, b]", "")));
        assertArrayEquals(new String[] {"a", "b"}, (String[]) driver(c, "api").properties().get("subprotocols"));
    }

    @Test
    public void whatIsNotAnExporterConfigurationIsRefusedSayingWhy() {
        String[][] cases = {
            {"export: [", "not valid YAML"},
            {"- a\n- b\n", "no mapping at the top"},
            {"apiVersion: v1\nkind: ExporterConfig\n", "apiVersion is v1, not jumpstarter.dev/..."},
            {"apiVersion: jumpstarter.dev/v1alpha1\nkind: Exporter\n", "kind is Exporter, not ExporterConfig"},
            {"apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport: [a]\n", "export: is not a mapping"},
            {"apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n  a: {type: x}\n  a: {type: y}\n", "not valid YAML"},
        };
        for (String[] c : cases) {
            try {
                ExporterConfig.read(new StringReader(c[0]));
                fail("accepted: " + c[0]);
            } catch (IllegalArgumentException e) {
                assertTrue(c[0] + " -> " + e.getMessage(), e.getMessage().contains(c[1]));
            }
        }
    }

    @Test
    public void onlyExporterFilesAreClaimed() {
        assertTrue(ExporterConfig.looksLikeOne("apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n"));
        assertFalse(ExporterConfig.looksLikeOne("apiVersion: apps/v1\nkind: Deployment\n"));
    }
}
