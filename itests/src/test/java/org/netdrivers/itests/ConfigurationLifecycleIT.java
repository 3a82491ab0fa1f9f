package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/** Create, update and delete driver configurations; the services and their streams follow. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigurationLifecycleIT extends NetdriversTestSupport {

    @Inject
    private MetaTypeService metaType;

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_TCP, NetworkConstants.PID_ECHO);
    }

    @Test
    public void tcpServiceFollowsItsConfigurationAndClosesStreamsWhenDeleted() throws Exception {
        try (EchoServer first = EchoServer.loopback(); EchoServer second = EchoServer.loopback()) {
            org.osgi.service.cm.Configuration c = configure(NetworkConstants.PID_TCP, "life",
                    Map.of(NetworkConstants.NETWORK_NAME, "life", "host", "127.0.0.1", "port", first.port()));
            ServiceReference<NetworkInterface> ref = awaitDriver("life");
            assertEquals("tcp", ref.getProperty(NetworkConstants.NETWORK_TYPE));
            assertEquals("tcp://127.0.0.1:" + first.port(), ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
            assertEquals(NetworkConstants.CLIENT_NETWORK, ref.getProperty(NetworkConstants.NETWORK_CLIENT));
            assertEquals("org.netdrivers.tcp~life", ref.getProperty("service.pid"));
            assertEquals(NetworkConstants.CLIENT_NETWORK, context.getService(ref).client());

            ByteStream before = await(registry.open("life"));
            send(before, "x");
            assertEquals("x", receiveText(before));

            // update: a new service with the new address; the old stream is closed with the reason
            c.update(dict(NetworkConstants.NETWORK_NAME, "life", "host", "127.0.0.1", "port", second.port()));
            awaitService(NetworkInterface.class, "(" + NetworkConstants.NETWORK_ADDRESS + "=tcp://127.0.0.1:" + second.port() + ")");
            Throwable changed = awaitFailure(before.receive());
            assertTrue(changed instanceof StreamClosedException);
            assertTrue(changed.getMessage(), changed.getMessage().contains("tcp driver 'life' (org.netdrivers.tcp~life) went away: configuration changed"));

            ByteStream after = await(registry.open("life"));
            send(after, "y");
            assertEquals("y", receiveText(after));
            assertEquals(1, second.accepted.get());

            // delete: the service goes, the stream fails with a cause that says so
            c.delete();
            awaitNoDriver("life");
            Throwable deleted = awaitFailure(after.receive());
            assertTrue(deleted instanceof StreamClosedException);
            assertTrue(deleted.getMessage(), deleted.getMessage().contains("went away: configuration deleted"));
            Throwable sendAfter = awaitFailure(after.send(java.nio.ByteBuffer.wrap(new byte[] {1})));
            assertTrue(sendAfter instanceof StreamClosedException);
            after.close();
            after.close(); // idempotent
        }
    }

    @Test
    public void addressModeDisabledIsReportedClearly() throws Exception {
        configure(NetworkConstants.PID_TCP, "hidden", Map.of(NetworkConstants.NETWORK_NAME, "hidden",
                "host", "127.0.0.1", "port", "22", "enable_address", "false"));
        ServiceReference<NetworkInterface> ref = awaitDriver("hidden");
        assertNull(ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
        NetworkInterface driver = context.getService(ref);
        assertTrue(driver.address().isEmpty());
        assertEquals("address mode disabled (enable_address=false)", driver.describeAddress());
        assertEquals("address mode disabled (enable_address=false)", registry.endpoint("hidden").get().address());
    }

    @Test
    public void ipv6AndHostNamesAreReportedAsIpAddresses() throws Exception {
        configure(NetworkConstants.PID_TCP, "v6", Map.of(NetworkConstants.NETWORK_NAME, "v6", "host", "::1", "port", 8080));
        assertEquals("tcp://[::1]:8080", awaitDriver("v6").getProperty(NetworkConstants.NETWORK_ADDRESS));
        configure(NetworkConstants.PID_TCP, "v6b", Map.of(NetworkConstants.NETWORK_NAME, "v6b", "host", "[0:0:0:0:0:0:0:1]", "port", 8080));
        assertEquals("tcp://[::1]:8080", awaitDriver("v6b").getProperty(NetworkConstants.NETWORK_ADDRESS));
        configure(NetworkConstants.PID_TCP, "named", Map.of(NetworkConstants.NETWORK_NAME, "named", "host", "localhost", "port", 22));
        String address = (String) awaitDriver("named").getProperty(NetworkConstants.NETWORK_ADDRESS);
        String expected = "tcp://" + (InetAddress.getByName("localhost").getAddress().length == 4
                ? InetAddress.getByName("localhost").getHostAddress() : "[::1]") + ":22";
        assertEquals("localhost resolved to an IP address", expected, address);
    }

    @Test
    public void metatypeDescribesEveryField() throws Exception {
        assertFields("org.netdrivers.tcp", NetworkConstants.PID_TCP, "network.name", "network.export", "host", "port",
                "enable_address", "connect_timeout_ms", "tcp_nodelay", "keepalive", "keepalive_idle_s",
                "keepalive_interval_s", "keepalive_count", "buffer_bytes", "socket_buffer_bytes");
        assertFields("org.netdrivers.echo", NetworkConstants.PID_ECHO, "network.name", "network.export", "buffer_bytes");
        assertFields("org.netdrivers.registry", NetworkConstants.PID_FORWARD, "target", "listen", "mode", "tls_allow");
        assertFields("org.netdrivers.unix", NetworkConstants.PID_UNIX, "network.name", "network.export", "path", "buffer_bytes",
                "socket_buffer_bytes");
        assertFields("org.netdrivers.vsock", NetworkConstants.PID_VSOCK, "network.name", "network.export", "cid", "port",
                "enable_address", "connect_timeout_ms", "buffer_bytes");
        assertFields("org.netdrivers.registry", NetworkConstants.PID_REGISTRY, "wait_ms", "buffer_bytes",
                "udp_idle_timeout_s", "udp_max_sessions", "socket_buffer_bytes", "udp_socket_buffer_bytes", "max_connections",
                "insecure_exports", "backlog",
                "tls_key_store", "tls_key_store_password", "tls_trust_store", "tls_trust_store_password", "tls_allow", "idle_timeout_s",
                "keepalive", "keepalive_idle_s", "keepalive_interval_s", "keepalive_count");
        assertFields("org.netdrivers.udp", NetworkConstants.PID_UDP, "network.name", "network.export", "host", "port",
                "enable_address", "idle_timeout_s", "buffer_bytes", "socket_buffer_bytes", "stop_drain_ms");
        assertFields("org.netdrivers.dbus", NetworkConstants.PID_DBUS, "network.name", "network.export", "kind", "address",
                "enable_address", "connect_timeout_ms", "buffer_bytes");
        assertFields("org.netdrivers.websocket", NetworkConstants.PID_WEBSOCKET, "network.name", "network.export", "url",
                "enable_address", "headers", "subprotocols", "connect_timeout_ms", "trust_store", "trust_store_password",
                "trust_store_type", "max_message_bytes", "buffer_bytes", "ping_interval_s", "ping_timeout_s");
    }

    private void assertFields(String bundle, String pid, String... expected) {
        MetaTypeInformation info = metaType.getMetaTypeInformation(installedBundle(bundle));
        assertNotNull("metatype of " + bundle, info);
        boolean factory = Arrays.asList(info.getFactoryPids()).contains(pid);
        assertTrue(pid + " is described", factory || Arrays.asList(info.getPids()).contains(pid));
        ObjectClassDefinition ocd = info.getObjectClassDefinition(pid, null);
        Set<String> ids = new TreeSet<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            ids.add(ad.getID());
            assertFalse(pid + " " + ad.getID() + " has a description", ad.getDescription() == null || ad.getDescription().isBlank());
        }
        assertEquals(pid, new TreeSet<>(Arrays.asList(expected)), ids);
    }

    @Test
    public void registryListsEndpointsWithCounters() throws Exception {
        configure(NetworkConstants.PID_ECHO, "counted", Map.of(NetworkConstants.NETWORK_NAME, "counted"));
        awaitDriver("counted");
        try (ByteStream s = await(registry.openMatching("(&(network.type=echo)(network.name=count*))"))) {
            send(s, "12345");
            assertEquals("12345", receiveText(s));
            var e = registry.endpoint("counted").orElseThrow();
            assertEquals(1, e.openStreams());
            assertEquals(5, e.bytesOut());
            assertEquals(5, e.bytesIn());
            assertEquals("echo", e.type());
        }
        awaitCondition("stream count back to 0", () -> registry.endpoint("counted").get().openStreams() == 0);
        Throwable bad = awaitFailure(registry.openMatching("(network.name="));
        assertTrue(bad.toString(), bad instanceof IllegalArgumentException);
        registrySettings(Map.of("wait_ms", 200));
        try {
            awaitCondition("wait bound applied", () -> {
                long t0 = System.nanoTime();
                try {
                    awaitFailure(registry.open("nobody"));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return System.nanoTime() - t0 < 1_000_000_000L;
            });
            Throwable none = awaitFailure(registry.open("nobody"));
            assertTrue(none.toString(), none instanceof java.util.NoSuchElementException);
            assertContains("message", none.getMessage(), "no driver matching 'nobody' appeared within 200 ms");
        } finally {
            registryDefaults();
        }
    }

    static int unusedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
