package org.netdrivers.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Assume;

/**
 * A real dbus-daemon started by a test, listening on one address (a Unix socket path under the
 * build directory, or an abstract name). It allows only EXTERNAL authentication: the daemon
 * compares the uid a client claims with the credentials of the Unix connection it accepted.
 */
final class DbusDaemon implements AutoCloseable {
    private final Peer process;
    private final String address;

    private DbusDaemon(Peer process, String address) {
        this.process = process;
        this.address = address;
    }

    /** Skips the calling test, saying so, where dbus-daemon is not installed (CI installs it). */
    static void assumeInstalled() {
        if (!Tools.installed("dbus-daemon")) {
            System.out.println("SKIPPED: dbus-daemon is not installed here (apt-get install dbus-daemon); D-Bus tests need a real bus");
        }
        Assume.assumeTrue("dbus-daemon is not installed", Tools.installed("dbus-daemon"));
    }

    /** Starts a daemon listening on {@code listen} (a D-Bus server address). */
    static DbusDaemon start(String listen) throws IOException, InterruptedException {
        assumeInstalled();
        Path dir = BuildFolder.newFolder("dbus-");
        if (listen.startsWith("unix:path=")) {
            Files.deleteIfExists(Path.of(listen.substring("unix:path=".length())));
            Files.createDirectories(Path.of(listen.substring("unix:path=".length())).getParent());
        }
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, String.join("\n",
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"",
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">",
                "<busconfig>",
                "  <type>session</type>",
                "  <listen>" + listen + "</listen>",
                "  <auth>EXTERNAL</auth>",
                "  <policy context=\"default\">",
                "    <allow send_destination=\"*\" eavesdrop=\"true\"/>",
                "    <allow eavesdrop=\"true\"/>",
                "    <allow own=\"*\"/>",
                "  </policy>",
                "</busconfig>", ""), StandardCharsets.UTF_8);
        Peer p = Peer.program(List.of("dbus-daemon", "--config-file=" + config, "--nofork", "--nopidfile", "--print-address=1"));
        String printed = p.awaitLine("unix:", 10_000);
        return new DbusDaemon(p, "unix:" + printed);
    }

    /** The address the daemon printed (with its guid). */
    String address() {
        return address;
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
