package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
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
        deleteConfigurations(NetworkConstants.PID_ECHO, NetworkConstants.PID_TCP);
    }

    /** Runs a command line; returns what it printed and the formatted result. */
    private String run(String line) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // a session of its own streams: Gogo closes the streams it is given
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
                CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), ps, ps)) {
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
        assertTrue(list, list.matches("(?s).*shell-echo\\s+echo\\s+echo:shell-echo\\s+tcp://127\\.0\\.0\\.1:" + port + ".*"));
        assertTrue(list, list.matches("(?s).*shell-tcp\\s+tcp\\s+tcp://\\[::1\\]:2201\\s+-.*"));

        assertEquals("tcp://[::1]:2201", run("network:address shell-tcp").trim());
        try {
            run("network:address nobody");
            throw new AssertionError("an unknown name must fail");
        } catch (IllegalArgumentException e) {
            // the shell prints it as: gogo: IllegalArgumentException: no network endpoint named 'nobody'
            assertEquals("no network endpoint named 'nobody'", e.getMessage());
        }

        awaitCondition("connection closed", () -> registry.exports().get(0).openConnections() == 0);
        String stats = run("network:stats");
        assertTrue(stats, stats.contains("export tcp://127.0.0.1:" + port + " -> shell-echo: listening, connections open 0, total 1, failed 0, bytes in 5, out 5"));
        assertTrue(stats, stats.contains("endpoint shell-echo: streams open 0, total 1, bytes in 5, out 5"));
    }
}
