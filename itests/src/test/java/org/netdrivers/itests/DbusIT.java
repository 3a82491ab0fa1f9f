package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.osgi.framework.ServiceReference;

/**
 * The D-Bus driver against a real dbus-daemon this test starts, used through Unix and TCP exports
 * by busctl (systemd's client) and by a dbus-java client, each in a process of its own. The
 * daemon allows only EXTERNAL authentication: it checks the uid a client claims against the
 * credentials of the connection it accepted, which is the runtime's own (same user as the test).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DbusIT extends NetdriversTestSupport {

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_DBUS);
    }

    /** The session bus as the build's environment names it (DBUS_SESSION_BUS_ADDRESS, set by the POM). */
    private static String sessionAddress() {
        String address = System.getenv("DBUS_SESSION_BUS_ADDRESS");
        assertTrue("the build sets DBUS_SESSION_BUS_ADDRESS to a socket under target/: " + address,
                address != null && address.startsWith("unix:path="));
        return address;
    }

    private static void busctlLists(String address) throws Exception {
        if (Tools.missing("busctl", "busctl part", "busctl is not installed here (package systemd); the dbus-java client still runs")) {
            return;
        }
        String out = Tools.run(List.of("busctl", "--address=" + address, "--no-pager", "--no-legend", "list"), "");
        assertContains("busctl --address=" + address + " list", out, "org.freedesktop.DBus");
        System.out.println("busctl --address=" + address + " list: " + out.lines().count() + " names, org.freedesktop.DBus among them");
    }

    private static void dbusJavaPingsAndLists(String address) throws Exception {
        try (Peer client = Peer.java("DbusClientPeer", address)) {
            assertEquals("Peer.Ping through " + address, "ok", client.awaitLine("PING", 30_000));
            assertContains("ListNames through " + address, client.awaitLine("NAMES", 30_000), "org.freedesktop.DBus");
            assertEquals("dbus-java client exit status", 0, client.awaitExit(30_000));
        }
    }

    @Test
    public void sessionBusFromTheEnvironmentThroughAUnixExport() throws Exception {
        String session = sessionAddress();
        try (DbusDaemon daemon = DbusDaemon.start(session)) {
            Path exported = tempFolder().resolve("bus.sock");
            configure(NetworkConstants.PID_DBUS, "sbus", Map.of(NetworkConstants.NETWORK_NAME, "sbus", "kind", "session",
                    NetworkConstants.NETWORK_EXPORT, "unix:" + exported));
            ServiceReference<NetworkInterface> ref = awaitDriver("sbus");
            assertEquals("session", ref.getProperty(NetworkConstants.DBUS_KIND));
            assertEquals(NetworkConstants.TYPE_DBUS, ref.getProperty(NetworkConstants.NETWORK_TYPE));
            assertEquals(NetworkConstants.CLIENT_DBUS, ref.getProperty(NetworkConstants.NETWORK_CLIENT));
            assertEquals(session, ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
            awaitCondition("the Unix export", () -> Files.exists(exported));
            busctlLists("unix:path=" + exported);
            dbusJavaPingsAndLists("unix:path=" + exported);
        }
    }

    @Test
    public void addressListWithADeadFirstEntryReachesAnAbstractBusThroughATcpExport() throws Exception {
        String name = "netdrivers-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (DbusDaemon daemon = DbusDaemon.start("unix:abstract=" + name)) {
            Path dead = tempFolder().resolve("nobody.sock");
            int port = FreePort.find();
            configure(NetworkConstants.PID_DBUS, "abus", Map.of(NetworkConstants.NETWORK_NAME, "abus", "kind", "system",
                    "address", "unix:path=" + dead + ";unix:abstract=" + name,
                    NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
            ServiceReference<NetworkInterface> ref = awaitDriver("abus");
            assertEquals("system", ref.getProperty(NetworkConstants.DBUS_KIND));
            assertEquals("before any stream: the first entry", "unix:path=" + dead, ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
            awaitExport("tcp://127.0.0.1:" + port);
            String tcp = "tcp:host=127.0.0.1,port=" + port;
            busctlLists(tcp);
            dbusJavaPingsAndLists(tcp);
            awaitCondition("network.address follows the entry reached",
                    () -> ("unix:abstract=" + name).equals(refreshed("abus").getProperty(NetworkConstants.NETWORK_ADDRESS)));
            assertEquals("unix:abstract=" + name, registry.endpoint("abus").get().address());
        }
    }

    private ServiceReference<NetworkInterface> refreshed(String name) {
        try {
            return context.getServiceReferences(NetworkInterface.class, "(" + NetworkConstants.NETWORK_NAME + "=" + name + ")")
                    .iterator().next();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    public void whenNoEntryConnectsTheErrorNamesEachWithItsCause() throws Exception {
        DbusDaemon.assumeInstalled();
        Path dir = tempFolder();
        int closedPort = FreePort.find();
        configure(NetworkConstants.PID_DBUS, "nobus", Map.of(NetworkConstants.NETWORK_NAME, "nobus", "kind", "session",
                "address", "unix:path=" + dir.resolve("a.sock") + ";tcp:host=127.0.0.1,port=" + closedPort));
        awaitDriver("nobus");
        Throwable failure = awaitFailure(driver("nobus").connect());
        String message = failure.getMessage();
        System.out.println("connect with no live entry: " + message);
        assertContains("counts the entries", message, "cannot connect to any of its 2 addresses");
        assertContains("names the first", message, "unix:path=" + dir.resolve("a.sock"));
        assertContains("names the second", message, "tcp:host=127.0.0.1,port=" + closedPort + " (Connection refused)");
    }
}
