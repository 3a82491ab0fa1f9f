package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.osgi.framework.ServiceReference;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The Gogo commands of scope network, run through Gogo's own command processor in plain Felix. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellCommandsIT extends NetdriversTestSupport {

    @Inject
    private CommandProcessor processor;

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_ECHO, NetworkConstants.PID_TCP, NetworkConstants.PID_FORWARD);
    }

    /** Runs a command line; returns what it printed and the formatted result. */
    private String run(String line) throws Exception {
        return run(line, "");
    }

    /** Runs a command line with {@code input} as the session's keyboard. */
    private String run(String line, String input) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // a session of its own streams: Gogo closes the streams it is given
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
                CommandSession session = processor.createSession(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), ps, ps)) {
            Object result = session.execute(line);
            if (result != null) {
                ps.println(session.format(result, org.apache.felix.service.command.Converter.INSPECT));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void listAddressAndStatsShowEndpointsAndTraffic() throws Exception {
        int port = FreePort.find();
        configure(NetworkConstants.PID_ECHO, "shell", Map.of(NetworkConstants.NETWORK_NAME, "shell-echo",
                NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port));
        configure(NetworkConstants.PID_TCP, "shelltcp", Map.of(NetworkConstants.NETWORK_NAME, "shell-tcp",
                "host", "::1", "port", 2201));
        awaitDriver("shell-echo");
        awaitDriver("shell-tcp");
        awaitCondition("export", () -> registry.exports().stream().anyMatch(x -> x.listening()));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("12345".getBytes());
            s.shutdownOutput();
            assertEquals("12345", new String(s.getInputStream().readAllBytes()));
        }

        String list = run("network:list");
        assertTrue(list, list.contains("NAME") && list.contains("ADDRESS") && list.contains("EXPORT"));
        assertTrue(list, list.contains("STATUS"));
        assertTrue(list, list.matches("(?s).*shell-echo\\s+echo\\s+up\\s+echo:shell-echo\\s+tcp://127\\.0\\.0\\.1:" + port + ".*"));
        assertTrue(list, list.matches("(?s).*shell-tcp\\s+tcp\\s+idle\\s+tcp://\\[::1\\]:2201\\s+-.*"));

        assertEquals("tcp://[::1]:2201", run("network:address shell-tcp").trim());
        try {
            run("network:address nobody");
            throw new AssertionError("an unknown name must fail");
        } catch (IllegalArgumentException e) {
            // the shell prints it as: gogo: IllegalArgumentException: no network endpoint named 'nobody'
            assertEquals("no network endpoint named 'nobody'; known: shell-echo, shell-tcp", e.getMessage());
        }

        // the export's count drops as its side of the bridge closes, the endpoint's a moment later as the other side does
        awaitCondition("connection closed", () -> registry.exports().get(0).openConnections() == 0
                && registry.endpoint("shell-echo").get().openStreams() == 0);
        String stats = run("network:stats");
        assertTrue(stats, stats.contains("export tcp://127.0.0.1:" + port + " -> shell-echo: listening, connections open 0, total 1 (relayed 0), failed 0, bytes in 5, out 5"));
        assertTrue(stats, stats.contains("endpoint shell-echo: up, streams open 0, total 1, bytes in 5, out 5"));
        // how busy each I/O thread is (4 of each kind in these tests): where new connections go
        assertTrue(stats, java.util.regex.Pattern.compile("I/O threads, share of the last 134 to 268 ms spent working: "
                + "processors (\\d+% ){3}\\d+%, selector loops (\\d+% ){3}\\d+%").matcher(stats).find());
        String one = run("network:stats shell-echo");
        assertTrue(one, one.contains("endpoint shell-echo: up") && one.contains("export tcp://127.0.0.1:" + port + " -> shell-echo"));
        assertFalse(one, one.contains("shell-tcp"));
    }

    @Test
    public void aFailingEndpointShowsItsStatusAndLastError() throws Exception {
        int closed = FreePort.find();
        configure(NetworkConstants.PID_TCP, "down", Map.of(NetworkConstants.NETWORK_NAME, "down", "host", "127.0.0.1", "port", closed));
        ServiceReference<NetworkInterface> ref = awaitDriver("down");
        assertEquals(NetworkConstants.STATUS_IDLE, ref.getProperty(NetworkConstants.NETWORK_STATUS));
        awaitFailure(driver("down").connect());
        awaitCondition("status failing", () -> NetworkConstants.STATUS_FAILING.equals(
                awaitQuietly("down").getProperty(NetworkConstants.NETWORK_STATUS)));
        Object error = awaitQuietly("down").getProperty(NetworkConstants.NETWORK_LAST_ERROR);
        assertTrue("last error: " + error, String.valueOf(error).contains("127.0.0.1:" + closed));
        String list = run("network:list");
        assertTrue(list, list.matches("(?s).*down\\s+tcp\\s+failing\\s+.*"));
        assertTrue(list, list.contains("failing:\ndown: " + error));
        System.out.println("network:list with a failing endpoint:\n" + list);

        // the device comes back: the next connect succeeds and the status says so
        try (ServerSocket server = new ServerSocket(closed, 1, InetAddress.getLoopbackAddress())) {
            await(driver("down").connect()).close();
            awaitCondition("status up", () -> NetworkConstants.STATUS_UP.equals(
                    awaitQuietly("down").getProperty(NetworkConstants.NETWORK_STATUS)));
            assertNull(awaitQuietly("down").getProperty(NetworkConstants.NETWORK_LAST_ERROR));
        }
    }

    private ServiceReference<NetworkInterface> awaitQuietly(String name) {
        try {
            return awaitDriver(name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    public void forwardAndUnforwardManageAnExport() throws Exception {
        configure(NetworkConstants.PID_ECHO, "fwd", Map.of(NetworkConstants.NETWORK_NAME, "fwd-echo"));
        awaitDriver("fwd-echo");
        int port = FreePort.find();
        String listen = "tcp://127.0.0.1:" + port;
        String created = run("network:forward fwd-echo " + listen);
        assertTrue(created, created.contains("forward " + listen + " -> fwd-echo: listening (configuration org.netdrivers.forward~"));
        assertEquals("through the forward", "via shell", roundTrip(port, "via shell"));
        org.osgi.service.cm.Configuration[] forwards = configurationAdmin.listConfigurations("(service.factoryPid=" + NetworkConstants.PID_FORWARD + ")");
        assertEquals("one forward configuration (kept by Config Admin)", 1, forwards.length);
        assertEquals(listen, forwards[0].getProperties().get("listen"));

        try {
            run("network:forward fwd-echo " + listen);
            throw new AssertionError("a second forward on the same address must fail");
        } catch (IllegalArgumentException e) {
            assertContains("taken address", e.getMessage(), listen + " is already used by the export of configuration org.netdrivers.forward~");
        }
        try {
            run("network:forward fwd-echo tcp://127.0.0.1");
            throw new AssertionError("a listen address without port must fail");
        } catch (IllegalArgumentException e) {
            assertContains("bad address", e.getMessage(), "has no port");
        }
        try {
            run("network:forward '(network.name=fwd-echo' tcp://127.0.0.1:" + FreePort.find());
            throw new AssertionError("a bad filter must fail");
        } catch (IllegalArgumentException e) {
            assertContains("bad filter", e.getMessage(), "is not a valid LDAP filter");
        }

        String removed = run("network:unforward " + listen);
        assertTrue(removed, removed.contains("forward " + listen + " removed (configuration org.netdrivers.forward~"));
        awaitCondition("no listener", () -> registry.exports().stream().noneMatch(x -> x.listen().equals(listen)));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            throw new AssertionError("still listening on " + listen);
        } catch (java.net.ConnectException expected) {
            // nobody listens any more
        }
        try {
            run("network:unforward " + listen);
            throw new AssertionError("unforward of nothing must fail");
        } catch (IllegalArgumentException e) {
            assertEquals("no forward listens on " + listen, e.getMessage());
        }
    }

    @Test
    public void connectBridgesTheSessionToAStream() throws Exception {
        configure(NetworkConstants.PID_ECHO, "con", Map.of(NetworkConstants.NETWORK_NAME, "con-echo"));
        awaitDriver("con-echo");
        String out = run("network:connect con-echo", "hello through the shell\n");
        assertTrue(out, out.startsWith("hello through the shell\n"));
        assertTrue(out, out.contains("connection to 'con-echo' ended: 24 bytes sent, 24 received"));
        try {
            run("network:connect nobody-here", "x");
            throw new AssertionError("an unknown name must fail");
        } catch (IllegalStateException e) {
            assertContains("unknown name", e.getMessage(), "cannot connect to 'nobody-here'");
        }
    }
}
