package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Each bad configuration registers no service (or no listener), logs exactly one WARN line naming
 * the PID, the field and the problem, and a good driver configured beside it keeps serving.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BadConfigurationIT extends NetdriversTestSupport {
    private int goodPort;

    private record Case(String factoryPid, String name, Map<String, Object> props, String field, String problem,
            boolean serviceExpected) {
    }

    private static final String PID_FLEET = "org.netdrivers.fleet";
    private static Certificates certs;

    @org.ops4j.pax.exam.Configuration
    @Override
    public org.ops4j.pax.exam.Option[] configuration() {
        return new org.ops4j.pax.exam.Option[] {baseOptions(),
                org.ops4j.pax.exam.CoreOptions.bundle("file:" + System.getProperty("netdrivers.bundles", "target/bundles") + "/fleet-bundle.jar")};
    }

    @Before
    public void startGoodDriver() throws Exception {
        goodPort = FreePort.find();
        configure(NetworkConstants.PID_ECHO, "good", Map.of(NetworkConstants.NETWORK_NAME, "good",
                NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + goodPort));
        awaitDriver("good");
        awaitExport("tcp://127.0.0.1:" + goodPort);
    }

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_TCP, NetworkConstants.PID_ECHO, NetworkConstants.PID_FORWARD,
                NetworkConstants.PID_UDP, NetworkConstants.PID_UNIX, NetworkConstants.PID_DBUS, NetworkConstants.PID_WEBSOCKET,
                NetworkConstants.PID_VSOCK);
    }

    /** A vsock driver configuration (CID 1, this machine: nothing is ever connected to another CID). */
    private static Map<String, Object> vsock(String name, Object... extra) {
        Map<String, Object> m = new HashMap<>();
        m.put(NetworkConstants.NETWORK_NAME, name);
        m.put("cid", 1);
        m.put("port", 5999);
        return with(m, extra);
    }

    private static Map<String, Object> tcp(String name, Object... extra) {
        Map<String, Object> m = new HashMap<>();
        m.put(NetworkConstants.NETWORK_NAME, name);
        m.put("host", "127.0.0.1");
        m.put("port", 2222);
        return with(m, extra);
    }

    /** {@code m} with the pairs of {@code extra} (field, value) put in, or removed where the value is null. */
    private static Map<String, Object> with(Map<String, Object> m, Object... extra) {
        for (int i = 0; i < extra.length; i += 2) {
            if (extra[i + 1] == null) {
                m.remove((String) extra[i]);
            } else {
                m.put((String) extra[i], extra[i + 1]);
            }
        }
        return m;
    }

    @Test
    public void everyBadConfigurationIsRefusedWithOneClearLineAndTheGoodDriverServesOn() throws Exception {
        try (ServerSocket occupied = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket occupied2 = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int busy = occupied.getLocalPort();
            int busy2 = occupied2.getLocalPort();
            List<Case> cases = new ArrayList<>();
            cases.add(new Case(NetworkConstants.PID_TCP, "n1", tcp("n1", NetworkConstants.NETWORK_NAME, "dut ssh"), NetworkConstants.NETWORK_NAME,
                    "holds ' ': a name is letters, digits, '.', '_' and '-'", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "n2", tcp("n2", NetworkConstants.NETWORK_NAME, "x".repeat(201)),
                    NetworkConstants.NETWORK_NAME, "(201 characters) is longer than 200 characters", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "n3", tcp("n3", NetworkConstants.NETWORK_NAME, "y".repeat(1 << 20)),
                    NetworkConstants.NETWORK_NAME, "(1048576 characters) is longer than 200 characters", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "u1", tcp("u1", "conect_timeout_ms", 500, "lab.bench", "17"),
                    "conect_timeout_ms", "unknown field(s) 'conect_timeout_ms' ignored", true));
            cases.add(new Case(NetworkConstants.PID_TCP, "p1", tcp("p1", "port", -1), "port", "is -1, out of range 1..65535", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "p2", tcp("p2", "port", 0), "port", "is 0, out of range 1..65535", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "p3", tcp("p3", "port", 65536), "port", "is 65536, out of range 1..65535", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "p4", tcp("p4", "port", "abc"), "port", "is \"abc\", not an integer", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "p5", tcp("p5", "port", null), "port", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "h1", tcp("h1", "host", ""), "host", "is empty", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "h2", tcp("h2", "host", null), "host", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "h3", tcp("h3", "host", "bad host!"), "host", "\"bad host!\" is not a host name or an IP address", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "n1", tcp("n1", NetworkConstants.NETWORK_NAME, null), "network.name", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_ECHO, "n2", Map.of(NetworkConstants.NETWORK_NAME, "  "), "network.name", "is empty", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "e1", tcp("e1", NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1"),
                    "network.export", "has no port", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "e2", tcp("e2", NetworkConstants.NETWORK_EXPORT, "http://127.0.0.1:8080"),
                    "network.export", "is not a supported listen address", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "e3", tcp("e3", NetworkConstants.NETWORK_EXPORT, "tcp://device.example:5000"),
                    "network.export", "a listen address must be an IP address", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "e4", tcp("e4", NetworkConstants.NETWORK_EXPORT, "127.0.0.1:5000"),
                    "network.export", "is not a supported listen address", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "t1", tcp("t1", "connect_timeout_ms", "-5"), "connect_timeout_ms",
                    "is -5, out of range", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "sb1", tcp("sb1", "socket_buffer_bytes", 100), "socket_buffer_bytes",
                    "100 is too small: 0 for the system's default, or 4096..67108864", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "sb2", tcp("sb2", "socket_buffer_bytes", 1 << 30), "socket_buffer_bytes",
                    "is 1073741824, out of range 0..67108864", false));
            cases.add(new Case(NetworkConstants.PID_UNIX, "sb3", Map.of(NetworkConstants.NETWORK_NAME, "sb3", "path", "/tmp/sb3.sock",
                    "socket_buffer_bytes", -1), "socket_buffer_bytes", "is -1, out of range 0..67108864", false));
            cases.add(new Case(NetworkConstants.PID_UDP, "sb4", Map.of(NetworkConstants.NETWORK_NAME, "sb4", "host", "127.0.0.1",
                    "port", 9, "socket_buffer_bytes", 2048), "socket_buffer_bytes",
                    "2048 is too small: 0 for the system's default, or 4096..67108864", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v1", vsock("v1", "cid", null), "cid", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v2", vsock("v2", "cid", 4294967295L), "cid",
                    "is 4294967295 (VMADDR_CID_ANY), which only a listener may use", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v3", vsock("v3", "cid", -1), "cid", "is -1, out of range 0..4294967294", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v4", vsock("v4", "port", 4294967295L), "port",
                    "is 4294967295 (VMADDR_PORT_ANY), which only a listener may use", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v5", vsock("v5", "port", "abc"), "port", "is \"abc\", not an integer", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v6", vsock("v6", "port", 4294967296L), "port",
                    "is 4294967296, out of range 0..4294967294", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v7", vsock("v7", "connect_timeout_ms", 0), "connect_timeout_ms",
                    "is 0, out of range", false));
            cases.add(new Case(NetworkConstants.PID_VSOCK, "v8", vsock("v8", "buffer_bytes", 1024), "buffer_bytes",
                    "is 1024, out of range", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "b1", tcp("b1", "enable_address", "maybe"), "enable_address",
                    "is \"maybe\", not true or false", false));
            cases.add(new Case(NetworkConstants.PID_TCP, "u1", tcp("u1", NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + busy),
                    "network.export", "cannot listen: Error while binding on /127.0.0.1:" + busy + ": Address already in use", true));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f1", Map.of("target", "(network.name=", "listen", "tcp://127.0.0.1:" + FreePort.find()),
                    "target", "is not a valid LDAP filter", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f2", Map.of("target", "good", "listen", "tcp://127.0.0.1:99999"),
                    "listen", "out of range 0..65535", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f3", Map.of("target", "good", "listen", "tcp://127.0.0.1:" + busy2),
                    "listen", "Address already in use", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f5", Map.of("target", "good", "listen", "tcp://127.0.0.1:" + goodPort),
                    "listen", "the address is already used by the export of echo driver 'good'", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f4", Map.of("target", "good"), "listen", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f6", Map.of("target", "good", "listen", "unix:/tmp/nd-f6.sock", "mode", "rw"),
                    "mode", "\"rw\" is not an octal file mode", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f7", Map.of("target", "good", "listen", "tcp://127.0.0.1:" + FreePort.find(),
                    "tls_allow", "CN=bench-17"), "tls_allow", "applies to a tls:// listen address", false));
            cases.add(new Case(NetworkConstants.PID_FORWARD, "f8", Map.of("target", "good", "listen", "tls://127.0.0.1:" + FreePort.find(),
                    "tls_allow", "not a name"), "tls_allow", "'not a name' is not a distinguished name", false));
            cases.add(new Case(NetworkConstants.PID_UDP, "udp1", Map.of(NetworkConstants.NETWORK_NAME, "udp1", "host", "127.0.0.1", "port", 70000),
                    "port", "is 70000, out of range 1..65535", false));
            cases.add(new Case(NetworkConstants.PID_UDP, "udp2", Map.of(NetworkConstants.NETWORK_NAME, "udp2", "host", "127.0.0.1", "port", 9,
                    "idle_timeout_s", 0), "idle_timeout_s", "is 0, out of range 1..86400", false));
            cases.add(new Case(NetworkConstants.PID_UNIX, "unix1", Map.of(NetworkConstants.NETWORK_NAME, "unix1"), "path", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_UNIX, "unix2", Map.of(NetworkConstants.NETWORK_NAME, "unix2", "path", "run/dut.sock"),
                    "path", "\"run/dut.sock\" is not an absolute path", false));
            cases.add(new Case(NetworkConstants.PID_UNIX, "unix3", Map.of(NetworkConstants.NETWORK_NAME, "unix3", "path", "/" + "x".repeat(120)),
                    "path", "is 121 bytes long; a Unix socket address holds at most 107", false));
            cases.add(new Case(NetworkConstants.PID_UNIX, "unix4", Map.of(NetworkConstants.NETWORK_NAME, "unix4", "path", "/tmp/x.sock",
                    NetworkConstants.NETWORK_EXPORT, "unix:relative.sock"), "network.export", "is not an absolute path", false));
            cases.add(new Case(NetworkConstants.PID_DBUS, "dbus1", Map.of(NetworkConstants.NETWORK_NAME, "dbus1", "kind", "user"),
                    "kind", "'user' is not a bus kind (system or session)", false));
            cases.add(new Case(NetworkConstants.PID_DBUS, "dbus2", Map.of(NetworkConstants.NETWORK_NAME, "dbus2"), "kind", "is missing", false));
            cases.add(new Case(NetworkConstants.PID_DBUS, "dbus3", Map.of(NetworkConstants.NETWORK_NAME, "dbus3", "kind", "system",
                    "address", "unix:path=/run/bus,path=/run/other"), "address", "key 'path' is given twice", false));
            cases.add(new Case(NetworkConstants.PID_DBUS, "dbus4", Map.of(NetworkConstants.NETWORK_NAME, "dbus4", "kind", "system",
                    "address", "nonce-tcp:host=127.0.0.1,port=1,noncefile=/tmp/n"), "address", "the nonce-tcp transport is not supported", false));
            cases.add(new Case(NetworkConstants.PID_DBUS, "dbus5", Map.of(NetworkConstants.NETWORK_NAME, "dbus5", "kind", "session",
                    "address", "unix:tmpdir=/tmp"), "address", "unix:tmpdir= is for listening", false));
            cases.add(new Case(NetworkConstants.PID_DBUS, "dbus6", Map.of(NetworkConstants.NETWORK_NAME, "dbus6", "kind", "session",
                    "address", "/run/dbus/system_bus_socket"), "address", "is not a D-Bus address", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws1", Map.of(NetworkConstants.NETWORK_NAME, "ws1", "url", "http://127.0.0.1:8080/"),
                    "url", "must start with ws:// or wss://, not http://", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws2", Map.of(NetworkConstants.NETWORK_NAME, "ws2", "url", "ws://127.0.0.1:8080/ a"),
                    "url", "is not a URL", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws3", Map.of(NetworkConstants.NETWORK_NAME, "ws3", "url", "ws://127.0.0.1:8080/",
                    "headers", new String[] {"Authorization Bearer x"}), "headers", "'Authorization Bearer x' is not 'Name: value'", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws4", Map.of(NetworkConstants.NETWORK_NAME, "ws4", "url", "ws://127.0.0.1:8080/",
                    "headers", new String[] {"Sec-WebSocket-Key: abc"}), "headers", "'Sec-WebSocket-Key' cannot be set", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws5", Map.of(NetworkConstants.NETWORK_NAME, "ws5", "url", "wss://127.0.0.1:8443/",
                    "trust_store", "/nonexistent/trust.p12"), "trust_store", "'/nonexistent/trust.p12' does not exist or is not a file", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws6", Map.of(NetworkConstants.NETWORK_NAME, "ws6", "url", "ws://127.0.0.1:8080/",
                    "subprotocols", new String[] {"chat v1"}), "subprotocols", "'chat v1' is not a valid subprotocol name", false));
            cases.add(new Case(NetworkConstants.PID_WEBSOCKET, "ws7", Map.of(NetworkConstants.NETWORK_NAME, "ws7", "url", "ws://user:pw@127.0.0.1:8080/"),
                    "url", "holds user information", false));

            for (Case c : cases) {
                String pid = c.factoryPid + "~" + c.name;
                try (LogCapture log = new LogCapture(context)) {
                    configure(c.factoryPid, c.name, c.props);
                    String field = "'" + c.field + "'";
                    awaitCondition("a WARN line for " + pid, () -> !log.warnings(pid).isEmpty());
                    if (c.serviceExpected) {
                        awaitDriver(c.name);
                    } else {
                        Thread.sleep(50); // a service, if wrongly registered, would be there by now
                    }
                    List<String> lines = log.warnings(pid);
                    assertEquals(pid + ": exactly one WARN line, got " + lines, 1, lines.size());
                    assertContains(pid + " names the field", lines.get(0), field);
                    assertContains(pid + " says what is wrong", lines.get(0), c.problem);
                    assertTrue(pid + ": a short line, whatever the value: " + lines.get(0).length(), lines.get(0).length() < 1000);
                    assertEquals(pid + ": no ERROR lines", List.of(), log.errors());
                    System.out.println("bad configuration " + pid + " -> " + lines.get(0));
                }
                if (!c.serviceExpected && c.factoryPid.equals(NetworkConstants.PID_FORWARD)) {
                    assertTrue(pid + ": no listener", registry.exports().stream().noneMatch(x -> x.source().contains(pid) && x.listening()));
                } else if (!c.serviceExpected) {
                    assertNull(pid + ": no service", context.getServiceReferences(NetworkInterface.class.getName(),
                            "(service.pid=" + pid + ")"));
                }
                assertEquals("the good driver still echoes after " + pid, "ok " + c.name, roundTrip(goodPort, "ok " + c.name));
            }
            assertTrue("at least 15 cases", cases.size() >= 15);
        }
    }

    /**
     * The fleet's rows of the matrix (its single PID, updated case by case): each bad value gives
     * one WARN line naming the field, no fleet port and no ZooKeeper client, and the good driver
     * serves on. Key stores made with keytool; nothing here reaches a ZooKeeper.
     */
    @Test
    public void everyBadFleetConfigurationIsRefusedWithOneClearLine() throws Exception {
        if (certs == null) {
            certs = Certificates.inBuildFolder("bad-fleet-certs-");
            certs.keyStore("bench-a", "bench-a");
            certs.trustStore("fleet-trust", "bench-a");
        }
        try (ServerSocket occupied = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String free = "tcp://127.0.0.1:" + FreePort.find();
            String store = certs.store("bench-a").toString();
            List<Case> cases = new ArrayList<>();
            cases.add(new Case(PID_FLEET, "z1", fleet(free, "zookeeper", "127.0.0.1:abc"), "zookeeper", "is not a connect string", false));
            cases.add(new Case(PID_FLEET, "z2", fleet(free, "zookeeper", "zk 1:2181"), "zookeeper", "\"zk 1\" is not a host name or an IP address", false));
            cases.add(new Case(PID_FLEET, "z3", fleet(free, "zookeeper", "127.0.0.1:2181/lab//a"), "zookeeper", "is not a connect string", false));
            cases.add(new Case(PID_FLEET, "z4", fleet(free, "zookeeper", "127.0.0.1:70000"), "zookeeper", "is not a connect string", false));
            cases.add(new Case(PID_FLEET, "z5", fleet(free, "zookeeper", null), "zookeeper", "is missing", false));
            cases.add(new Case(PID_FLEET, "k1", fleet(free, "key_store", "/nonexistent/bench-a.p12"), "key_store", "does not exist", false));
            cases.add(new Case(PID_FLEET, "k2", fleet(free, "key_store_password", "wrong"), "key_store", "cannot be read", false));
            cases.add(new Case(PID_FLEET, "k3", fleet(free, "key_store", null), "key_store", "is required", false));
            cases.add(new Case(PID_FLEET, "k4", fleet(free, "trust_store", store, "trust_store_password", "wrong"), "trust_store", "cannot be read", false));
            cases.add(new Case(PID_FLEET, "l1", fleet("tcp://127.0.0.1:" + occupied.getLocalPort()), "listen", "Address already in use", false));
            cases.add(new Case(PID_FLEET, "l2", fleet("unix:/tmp/nd-fleet.sock"), "listen", "must be tcp://IP:PORT", false));
            cases.add(new Case(PID_FLEET, "r1", fleet(free, "runtime", "bench 17"), "runtime", "holds ' '", false));
            cases.add(new Case(PID_FLEET, "s1", fleet(free, "share", "(network.fleet=true"), "share", "is not an LDAP filter", false));
            cases.add(new Case(PID_FLEET, "s2", fleet(free, "use", "network.runtime=bench-1"), "use", "is not an LDAP filter", false));
            cases.add(new Case(PID_FLEET, "a1", fleet(free, "allow", "not a name"), "allow", "is not a distinguished name", false));
            org.osgi.service.cm.Configuration fleet = configurationAdmin.getConfiguration(PID_FLEET, "?");
            try {
                for (Case c : cases) {
                    try (LogCapture log = new LogCapture(context)) {
                        Hashtable<String, Object> props = new Hashtable<>(c.props);
                        fleet.update(props);
                        awaitCondition("a WARN line for " + c.name, () -> !log.warnings(PID_FLEET).isEmpty());
                        Thread.sleep(50); // a second line, or a fleet that starts after all, would be there by now
                        List<String> lines = log.warnings(PID_FLEET);
                        assertEquals(c.name + ": exactly one WARN line, got " + lines, 1, lines.size());
                        assertContains(c.name + " names the field", lines.get(0), "'" + c.field + "'");
                        assertContains(c.name + " says what is wrong", lines.get(0), c.problem);
                        assertEquals(c.name + ": no ERROR lines", List.of(), log.errors());
                        assertEquals(c.name + ": no fleet started", List.of(), log.lines("Fleet: runtime"));
                        System.out.println("bad configuration " + PID_FLEET + " (" + c.name + ") -> " + lines.get(0));
                    }
                    awaitNoFleetThreads(c.name + ": no fleet thread");
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(free.substring(free.lastIndexOf(':') + 1)))) {
                        fail(c.name + ": nothing may listen on the fleet port " + free);
                    } catch (java.net.ConnectException expected) {
                        // nothing listens
                    }
                    assertEquals("the good driver still echoes after " + c.name, "ok " + c.name, roundTrip(goodPort, "ok " + c.name));
                }
            } finally {
                fleet.delete();
            }
        }
    }

    /** A fleet configuration that would start (but for a ZooKeeper), with {@code extra} changed or removed (null). */
    private static Map<String, Object> fleet(String listen, Object... extra) {
        Map<String, Object> m = new HashMap<>();
        m.put("zookeeper", "127.0.0.1:2181");
        m.put("runtime", "bench-a");
        m.put("listen", listen);
        m.putAll(FleetIT.tls(certs));
        return with(m, extra);
    }
}
