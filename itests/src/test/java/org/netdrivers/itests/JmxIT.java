package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** One MBean per endpoint and per export, read through the platform MBean server as a JMX console would. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class JmxIT extends NetdriversTestSupport {
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_ECHO, NetworkConstants.PID_TCP, NetworkConstants.PID_FORWARD);
    }

    private ObjectName endpoint(String name) throws Exception {
        Set<ObjectName> names = server.queryNames(new ObjectName("org.netdrivers:type=Endpoint,name=" + ObjectName.quote(name) + ",*"), null);
        assertEquals("one MBean for endpoint " + name + ": " + names, 1, names.size());
        return names.iterator().next();
    }

    @Test
    public void endpointsAndExportsHaveMBeansWithLiveFigures() throws Exception {
        configure(NetworkConstants.PID_ECHO, "jmx", Map.of(NetworkConstants.NETWORK_NAME, "jmx-echo"));
        int closed = FreePort.find();
        configure(NetworkConstants.PID_TCP, "jmxdown", Map.of(NetworkConstants.NETWORK_NAME, "jmx-down", "host", "127.0.0.1", "port", closed));
        awaitDriver("jmx-echo");
        awaitDriver("jmx-down");
        int port = FreePort.find();
        String listen = "tcp://127.0.0.1:" + port;
        configure(NetworkConstants.PID_FORWARD, "jmxfwd", Map.of("target", "jmx-echo", "listen", listen));
        awaitExport(listen);
        assertEquals("hello", roundTrip(port, "hello"));
        awaitFailure(registry.open("jmx-down"));

        ObjectName echo = endpoint("jmx-echo");
        awaitCondition("streams closed", () -> attribute(echo, "StreamsOpen").equals(0L));
        assertEquals("echo", server.getAttribute(echo, "Type"));
        assertEquals("up", server.getAttribute(echo, "Status"));
        assertEquals(1L, server.getAttribute(echo, "StreamsTotal"));
        assertEquals(5L, server.getAttribute(echo, "BytesIn"));
        assertEquals(5L, server.getAttribute(echo, "BytesOut"));

        ObjectName down = endpoint("jmx-down");
        awaitCondition("failing", () -> "failing".equals(attribute(down, "Status")));
        assertEquals(1L, server.getAttribute(down, "ConnectFailures"));
        assertTrue((String) server.getAttribute(down, "LastError"), ((String) server.getAttribute(down, "LastError")).contains("127.0.0.1:" + closed));

        ObjectName export = new ObjectName("org.netdrivers:type=Export,listen=" + ObjectName.quote(listen));
        assertTrue("export MBean " + export, server.isRegistered(export));
        assertEquals(true, server.getAttribute(export, "Listening"));
        assertEquals("jmx-echo", server.getAttribute(export, "Target"));
        awaitCondition("connection counted", () -> attribute(export, "ConnectionsTotal").equals(1L));
        assertEquals(5L, server.getAttribute(export, "BytesIn"));
        System.out.println("JMX: " + echo + " Status=up StreamsTotal=1 BytesIn=5; " + down + " Status=failing; " + export + " Listening=true");

        deleteConfigurations(NetworkConstants.PID_FORWARD);
        awaitCondition("export MBean removed with its forward", () -> !server.isRegistered(export));
        deleteConfigurations(NetworkConstants.PID_ECHO);
        awaitCondition("endpoint MBean removed with its driver", () -> !server.isRegistered(echo));
        assertFalse(server.isRegistered(echo));
    }

    private Object attribute(ObjectName name, String attribute) {
        try {
            return server.getAttribute(name, attribute);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
