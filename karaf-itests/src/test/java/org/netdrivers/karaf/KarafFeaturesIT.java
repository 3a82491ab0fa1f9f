package org.netdrivers.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOption;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The features repository in a real Apache Karaf 4.4 distribution, driven as README's Karaf section
 * tells a user to: its user setup in etc/users.properties and etc/keys.properties, then its commands
 * (feature:repo-add, feature:install netdrivers, its config:edit line, network:list) and every
 * network: command, bundle:update and feature:uninstall, each run non-interactively over Karaf's ssh
 * server with the OpenSSH client ({@code ssh ... karaf@127.0.0.1 'COMMAND'}), asserting on what it
 * printed there. In the framework: a driver and its export brought up by a configuration, the
 * Jumpstarter import, bundle:update of the driver under traffic, the export closing when the
 * drivers' feature goes.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KarafFeaturesIT {
    private static final long WAIT_MS = 20_000;
    /** Set on the test's side (see {@link #driverFeatures(String)}): the drivers' feature names, comma separated. */
    private static final String DRIVER_FEATURES_PROPERTY = "netdrivers.driver.features";
    /** Set on the test's side: the port of Karaf's ssh server (on 127.0.0.1). */
    private static final String SSH_PORT_PROPERTY = "netdrivers.karaf.ssh.port";
    /** Set by the build: the README whose Karaf section the test follows. */
    private static final String README_PROPERTY = "netdrivers.readme";

    /** The ssh client program and the key the test made for user karaf (see {@link #userSetup}). */
    private String sshProgram;
    private java.nio.file.Path sshKey;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @Configuration
    public Option[] configuration() throws IOException {
        String karaf = System.getProperty("karaf.version");
        String repo = new File(System.getProperty("netdrivers.karaf.repo")).getAbsolutePath();
        String local = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
        String mvnCfg = "etc/org.ops4j.pax.url.mvn.cfg";
        String sshPort = Integer.toString(freePort());
        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration()
                        .frameworkUrl(maven("org.apache.karaf", "apache-karaf").type("tar.gz").version(karaf))
                        .unpackDirectory(new File(System.getProperty("netdrivers.build"), "exam"))
                        .useDeployFolder(false),
                // the ssh server runs (README's commands come through it); no local console
                configureConsole().ignoreLocalConsole(),
                // offline: Karaf's own system/ folder, the reactor's bundles, the local Maven repository
                editConfigurationFilePut(mvnCfg, "org.ops4j.pax.url.mvn.defaultRepositories",
                        "file:${karaf.home}/${karaf.default.repository}@id=system.repository@snapshots,"
                                + "file:${karaf.data}/kar@id=kar.repository@multi@snapshots,"
                                + "file:" + repo + "@id=netdrivers@snapshots"),
                editConfigurationFilePut(mvnCfg, "org.ops4j.pax.url.mvn.localRepository", local),
                editConfigurationFilePut(mvnCfg, "org.ops4j.pax.url.mvn.repositories", ""),
                // loopback only, and ports nobody else uses
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1"),
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", sshPort),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryHost", "127.0.0.1"),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerHost", "127.0.0.1"),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.ops4j.pax.logging.cfg", "log4j2.rootLogger.level", "INFO"),
                systemProperty("netdrivers.version").value(System.getProperty("netdrivers.version")),
                systemProperty(DRIVER_FEATURES_PROPERTY).value(driverFeatures(repo)),
                systemProperty(SSH_PORT_PROPERTY).value(sshPort),
                systemProperty(README_PROPERTY).value(new File(System.getProperty(README_PROPERTY)).getAbsolutePath())));
        // what Karaf's bin/karaf passes to Java 9+ (Pax Exam does not)
        for (String o : new String[] {"--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karaf + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karaf + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*"}) {
            options.add(vmOption(o));
        }
        return options.toArray(new Option[0]);
    }

    /**
     * The drivers, as the features file under test names them: every {@code netdrivers-KIND} feature
     * but the core, the Jumpstarter import and the fleet. Read from the file the build copied, so that a new
     * driver's feature is tested without a line here.
     */
    private static String driverFeatures(String repo) throws IOException {
        String version = System.getProperty("netdrivers.version");
        java.nio.file.Path file = java.nio.file.Path.of(repo, "org", "netdrivers", "features", version,
                "features-" + version + "-features.xml");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<feature name=\"netdrivers-([a-z0-9]+)\"")
                .matcher(java.nio.file.Files.readString(file));
        List<String> kinds = new ArrayList<>();
        while (m.find()) {
            if (!m.group(1).equals("core") && !m.group(1).equals("jumpstarter") && !m.group(1).equals("fleet")) {
                kinds.add(m.group(1));
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalStateException("no driver features in " + file);
        }
        return String.join(",", kinds);
    }

    /** In the container: the drivers' kinds ("tcp", ...). */
    private static String[] driverKinds() {
        String kinds = System.getProperty(DRIVER_FEATURES_PROPERTY);
        assertNotNull("system property " + DRIVER_FEATURES_PROPERTY + " (set by the test's configuration)", kinds);
        return kinds.split(",");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The OpenSSH client programs, as a user runs them; the test fails without them (CI installs openssh-client). */
    private static String program(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            java.nio.file.Path p = java.nio.file.Path.of(dir.isEmpty() ? "." : dir, name);
            if (java.nio.file.Files.isExecutable(p)) {
                return p.toString();
            }
        }
        fail("'" + name + "' is not on the PATH (" + System.getenv("PATH") + "): this test drives Karaf through the OpenSSH"
                + " client programs ssh and ssh-keygen, as README's Karaf section does (Debian/Ubuntu: apt-get install"
                + " openssh-client; .ci/run installs it)");
        return null;
    }

    /** What one ssh exec printed: its exit status, its standard output, its standard error. */
    private record Exec(int status, String out, String err) {
        String all() {
            return out + err;
        }
    }

    /** The ssh client's settings for every command; {@link #ssh} adds the authentication. */
    private List<String> sshCommand(String command, String... authentication) {
        List<String> argv = new ArrayList<>(List.of(sshProgram, "-p", System.getProperty(SSH_PORT_PROPERTY),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10"));
        argv.addAll(List.of(authentication));
        argv.add("karaf@127.0.0.1");
        argv.add(command);
        return argv;
    }

    /**
     * Runs a command in Karaf's shell the way README's Karaf section shows it, non-interactively
     * over Karaf's ssh server with the OpenSSH client and the key made at the test's start:
     * {@code ssh -p PORT ... -i KEY karaf@127.0.0.1 'COMMAND'}; standard input is {@code input}, then
     * its end. Returns what it printed; fails on a non-zero exit status or an error message. Karaf
     * registers its commands while it boots, and ours when a feature starts, and its ssh server
     * starts with Karaf: a command not there yet, or a server not listening (or not greeting) yet,
     * is tried again, within the bound.
     */
    private String ssh(String command, String input) throws Exception {
        return sshAs(command, input, sshCommand(command, "-i", sshKey.toString(), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes"), Map.of());
    }

    private String ssh(String command) throws Exception {
        return ssh(command, "");
    }

    private String sshAs(String command, String input, List<String> argv, Map<String, String> env) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (true) {
            long t0 = System.nanoTime();
            Exec r = exec(argv, input, env);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            String shown = "$ " + String.join(" ", argv.subList(0, argv.size() - 1)).replace(sshProgram, "ssh")
                    + " '" + command + "'" + (input.isEmpty() ? "" : " <<< " + input.stripTrailing())
                    + "   [exit " + r.status() + ", " + ms + " ms]\n" + r.all().stripTrailing();
            System.out.println(shown);
            boolean notYet = r.all().contains("Command not found") // ours or Karaf's own, registering
                    || (r.status() == 255 && r.err().contains("Connection refused")) // the ssh server, starting
                    // listening already, but closing connections before its greeting while it starts (seen once, on the
                    // first command: "kex_exchange_identification: Connection closed by remote host", 13 ms)
                    || (r.status() == 255 && r.err().contains("kex_exchange_identification"));
            if (notYet && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
                continue;
            }
            if (r.status() != 0 || r.err().contains("Error executing command")) {
                fail("over ssh, '" + command + "' failed:\n" + shown);
            }
            return r.out();
        }
    }

    private static Exec exec(List<String> argv, String input, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        Process p = pb.start();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            Future<byte[]> out = readers.submit(() -> p.getInputStream().readAllBytes());
            Future<byte[]> err = readers.submit(() -> p.getErrorStream().readAllBytes());
            try (java.io.OutputStream in = p.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(argv + " still running after 60 s");
            }
            return new Exec(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8));
        } finally {
            readers.shutdownNow();
        }
    }

    /**
     * README's non-interactive ssh line as it stands, without a key: the password of README's
     * users.properties line, typed by an askpass program as a user would type it.
     */
    private String sshWithPassword(String command, String password) throws Exception {
        java.nio.file.Path askpass = sshKey.resolveSibling("askpass");
        java.nio.file.Files.writeString(askpass, "#!/bin/sh\necho '" + password + "'\n");
        java.nio.file.Files.setPosixFilePermissions(askpass, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        return sshAs(command, "", sshCommand(command, "-o", "PubkeyAuthentication=no",
                "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "NumberOfPasswordPrompts=1"),
                // (OpenSSH before 8.4 knows no SSH_ASKPASS_REQUIRE: it asks the program when DISPLAY is set and there is no terminal)
                Map.of("SSH_ASKPASS", askpass.toString(), "SSH_ASKPASS_REQUIRE", "force", "DISPLAY", ":0"));
    }

    /**
     * README's user setup on the fresh distribution, while Karaf runs (its JAAS realm reads the
     * files at each login): in etc/users.properties the lines README names, uncommented word for
     * word; and in etc/keys.properties a key made now, in the line README shows (Karaf 4.4 takes
     * RSA and ECDSA keys there, not ed25519; the key is RSA, as README advises).
     */
    private void userSetup(KarafReadme readme) throws Exception {
        sshProgram = program("ssh");
        String keygen = program("ssh-keygen");
        java.nio.file.Path etc = java.nio.file.Path.of(System.getProperty("karaf.etc"));
        java.nio.file.Path users = etc.resolve("users.properties");
        String text = java.nio.file.Files.readString(users);
        for (String line : readme.usersLines()) {
            assertTrue("the distribution's etc/users.properties has README's line, commented: #" + line + "\n" + text,
                    text.contains("\n#" + line + "\n"));
            text = text.replace("\n#" + line + "\n", "\n" + line + "\n");
        }
        java.nio.file.Files.writeString(users, text);

        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of(System.getProperty("karaf.data")), "ssh-user");
        sshKey = dir.resolve("id_rsa");
        Exec keygenRun = exec(List.of(keygen, "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "netdrivers-itest", "-f", sshKey.toString()), "", Map.of());
        assertEquals("ssh-keygen: " + keygenRun.all(), 0, keygenRun.status());
        String[] pub = java.nio.file.Files.readString(dir.resolve("id_rsa.pub")).trim().split(" ");
        java.nio.file.Path keys = etc.resolve("keys.properties");
        String keysText = java.nio.file.Files.readString(keys);
        // the group the key's line names is defined there already (uncommented in the distribution)
        String group = readme.usersLines().get(1);
        assertTrue("the distribution's etc/keys.properties has the group line " + group + ":\n" + keysText,
                keysText.contains("\n" + group + "\n"));
        java.nio.file.Files.writeString(keys, keysText + readme.keysLine().replace("AAAA…", pub[1]) + "\n");
    }

    /** What README's "Installing in Apache Karaf" section tells a user to do, read from the README under test. */
    private record KarafReadme(List<String> usersLines, String keysLine, String sshCommand, List<String> featureCommands,
            String configEdit) {
        static KarafReadme read(java.nio.file.Path readme) throws IOException {
            String text = java.nio.file.Files.readString(readme);
            int start = text.indexOf("## Installing in Apache Karaf");
            assertTrue("README has a section 'Installing in Apache Karaf'", start >= 0);
            int end = text.indexOf("\n## ", start + 1);
            String section = text.substring(start, end < 0 ? text.length() : end);
            List<String> users = new ArrayList<>();
            String keys = null;
            String ssh = null;
            java.util.regex.Matcher code = java.util.regex.Pattern.compile("`([^`\n]+)`").matcher(section);
            while (code.find()) {
                String c = code.group(1);
                if (c.startsWith("karaf = ") || c.startsWith("_g_\\:")) {
                    users.add(c);
                } else if (c.startsWith("karaf=")) {
                    keys = c;
                } else if (c.startsWith("ssh -p 8101 karaf@localhost ")) {
                    ssh = c.substring("ssh -p 8101 karaf@localhost ".length());
                }
            }
            List<String> features = new ArrayList<>();
            String configEdit = null;
            for (String line : section.split("\n")) {
                if (line.startsWith("karaf@root()> feature:")) {
                    features.add(line.substring("karaf@root()> ".length()));
                } else if (line.startsWith("karaf@root()> config:edit ")) {
                    configEdit = line.substring("karaf@root()> ".length());
                }
            }
            KarafReadme r = new KarafReadme(users, keys, ssh, features, configEdit);
            assertTrue("README's Karaf section: the users.properties user and group lines: " + r, users.size() == 2
                    && users.get(0).startsWith("karaf = ") && users.get(1).startsWith("_g_\\:"));
            assertTrue("README's Karaf section: the keys.properties line (karaf=AAAA…,GROUP): " + r,
                    keys != null && keys.contains("AAAA…"));
            assertTrue("README's Karaf section: ssh -p 8101 karaf@localhost COMMAND: " + r, ssh != null);
            assertTrue("README's Karaf section: feature:repo-add and feature:install: " + r, features.size() == 2
                    && features.get(0).startsWith("feature:repo-add ") && features.get(1).startsWith("feature:install "));
            assertTrue("README's Karaf section: the config:edit line: " + r, configEdit != null);
            return r;
        }

        /** The password of README's user line (USER = PASSWORD,ROLES...). */
        String password() {
            return usersLines.get(0).substring("karaf = ".length()).split(",")[0];
        }

        /** README's config:edit line, with a device and an export port of the test's. */
        String configEdit(String host, int port, String export) {
            String line = configEdit;
            for (String[] r : new String[][] {{"config:property-set host ", host}, {"config:property-set port ", Integer.toString(port)},
                    {"config:property-set network.export ", export}}) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(r[0]) + "[^;\\s]+").matcher(line);
                assertTrue("README's config:edit line sets " + r[0] + ": " + configEdit, m.find());
                line = line.substring(0, m.start()) + r[0] + r[1] + line.substring(m.end());
            }
            return line;
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + WAIT_MS + " ms waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    private boolean driverUp(String name) {
        try {
            return context.getServiceReferences(NetworkInterface.class, "(" + NetworkConstants.NETWORK_NAME + "=" + name + ")").size() > 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static String echo(int port, String text) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    public void featuresInstallServeUpdateUnderTrafficAndUninstallCleanly() throws Exception {
        KarafReadme readme = KarafReadme.read(java.nio.file.Path.of(System.getProperty(README_PROPERTY)));
        userSetup(readme);
        // README's feature:repo-add and feature:install, over ssh (its version is the build's)
        String version = System.getProperty("netdrivers.version");
        List<String> featureCommands = readme.featureCommands();
        ssh(featureCommands.get(0).replaceAll("mvn:org\\.netdrivers/features/[^/]+/", "mvn:org.netdrivers/features/" + version + "/"));
        // each driver's own feature first (README: each needs only core), then README's feature:install netdrivers
        for (String driver : driverKinds()) {
            long t0 = System.nanoTime();
            ssh("feature:install netdrivers-" + driver);
            Bundle b = bundle("org.netdrivers." + driver);
            assertNotNull("feature netdrivers-" + driver + " installed its bundle", b);
            await(driver + " bundle active", () -> b.getState() == Bundle.ACTIVE);
            System.out.printf("feature:install netdrivers-%s: %d ms%n", driver, (System.nanoTime() - t0) / 1_000_000);
        }
        ssh(featureCommands.get(1));
        Bundle fleet = bundle("org.netdrivers.fleet");
        assertNotNull("feature netdrivers installed the fleet bundle", fleet);
        await("the fleet bundle active (and idle: no org.netdrivers.fleet configuration)", () -> fleet.getState() == Bundle.ACTIVE);
        assertEquals(Bundle.ACTIVE, bundle("org.netdrivers.registry").getState());

        // the Jumpstarter import (in feature netdrivers): an exporter file dropped into Karaf's deploy/ becomes drivers
        java.nio.file.Path deploy = java.nio.file.Path.of(System.getProperty("karaf.base"), "deploy");
        java.nio.file.Files.writeString(deploy.resolve("exporter.yaml"), String.join("\n",
                "apiVersion: jumpstarter.dev/v1alpha1", "kind: ExporterConfig", "export:",
                "  loop:", "    type: jumpstarter_driver_network.driver.EchoNetwork", ""));
        await("the driver of the exporter file", () -> driverUp("loop"));
        java.nio.file.Files.delete(deploy.resolve("exporter.yaml"));
        await("its removal with the file", () -> !driverUp("loop"));
        String features = ssh("feature:list -i");
        for (String driver : driverKinds()) {
            assertTrue(features, features.contains("netdrivers-" + driver));
        }
        assertTrue(features, features.contains("netdrivers-jumpstarter") && features.contains("netdrivers-core"));

        // a short linger, so that an export closes soon after its driver goes
        org.osgi.service.cm.Configuration registryConfig = configurationAdmin.getConfiguration(NetworkConstants.PID_REGISTRY, null);
        Hashtable<String, Object> registryProps = new Hashtable<>();
        registryProps.put("wait_ms", 1000);
        registryConfig.update(registryProps);

        // a configuration, as config:edit would make it, brings up the driver and its export
        int port = freePort();
        org.osgi.service.cm.Configuration c = configurationAdmin.getFactoryConfiguration(NetworkConstants.PID_ECHO, "karaf", null);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(NetworkConstants.NETWORK_NAME, "karaf-echo");
        props.put(NetworkConstants.NETWORK_EXPORT, "tcp://127.0.0.1:" + port);
        c.update(props);
        await("driver karaf-echo", () -> driverUp("karaf-echo"));
        await("its export", () -> {
            try {
                return echo(port, "hello karaf").equals("hello karaf");
            } catch (IOException e) {
                return false;
            }
        });
        // README's non-interactive line, as user karaf with the password of README's users.properties line
        String list = sshWithPassword(readme.sshCommand(), readme.password());
        assertTrue(list, list.contains("karaf-echo") && list.contains("tcp://127.0.0.1:" + port));

        // every network: command prints its answer over ssh exec (the key from here on)
        list = ssh("network:list");
        assertTrue(list, list.contains("karaf-echo") && list.contains("tcp://127.0.0.1:" + port));
        String address = ssh("network:address karaf-echo");
        assertTrue(address, !address.isBlank());
        String stats = ssh("network:stats");
        assertTrue(stats, stats.contains("endpoint karaf-echo: up") && stats.contains("export tcp://127.0.0.1:" + port + " -> karaf-echo"));
        String oneStats = ssh("network:stats karaf-echo");
        assertTrue(oneStats, oneStats.startsWith("endpoint karaf-echo: up") && oneStats.contains("export tcp://127.0.0.1:" + port));
        int forwardPort = freePort();
        String forwarded = ssh("network:forward karaf-echo tcp://127.0.0.1:" + forwardPort);
        assertTrue(forwarded, forwarded.contains("listening (configuration org.netdrivers.forward~"));
        assertEquals("through the forward", "forwarded", echo(forwardPort, "forwarded"));
        String removed = ssh("network:unforward tcp://127.0.0.1:" + forwardPort);
        assertTrue(removed, removed.contains("removed (configuration org.netdrivers.forward~"));
        // connect, like nc: ssh's standard input is sent, the answer printed, until the input ends
        String connected = ssh("network:connect karaf-echo", "piped through ssh\n");
        assertTrue(connected, connected.startsWith("piped through ssh\n")
                && connected.contains("connection to 'karaf-echo' ended: 18 bytes sent, 18 received"));

        // the README's config:edit line: a TCP device endpoint exported on a local port
        try (ServerSocket device = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread deviceThread = new Thread(() -> {
                while (!device.isClosed()) {
                    try (Socket s = device.accept()) {
                        s.getOutputStream().write(s.getInputStream().readAllBytes());
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "device");
            deviceThread.setDaemon(true);
            deviceThread.start();
            int tcpExport = freePort();
            ssh(readme.configEdit("127.0.0.1", device.getLocalPort(), "tcp://127.0.0.1:" + tcpExport));
            await("driver dut-ssh", () -> driverUp("dut-ssh"));
            await("its export", () -> {
                try {
                    return echo(tcpExport, "through config:edit").equals("through config:edit");
                } catch (IOException e) {
                    return false;
                }
            });
        }

        // bundle:update of the driver under traffic: no new connection fails
        List<long[]> gaps = new CopyOnWriteArrayList<>();
        long[] down = new long[1];
        ServiceListener listener = event -> {
            if ("karaf-echo".equals(event.getServiceReference().getProperty(NetworkConstants.NETWORK_NAME))) {
                if (event.getType() == ServiceEvent.UNREGISTERING) {
                    down[0] = System.nanoTime();
                } else if (event.getType() == ServiceEvent.REGISTERED) {
                    gaps.add(new long[] {down[0], System.nanoTime()});
                }
            }
        };
        context.addServiceListener(listener, "(objectClass=" + NetworkInterface.class.getName() + ")");
        AtomicBoolean running = new AtomicBoolean(true);
        List<long[]> failures = new CopyOnWriteArrayList<>(); // [start, end]
        List<String> failureText = new CopyOnWriteArrayList<>();
        int[] ok = new int[1];
        ExecutorService clients = Executors.newFixedThreadPool(3);
        List<Future<?>> running3 = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int client = t;
            running3.add(clients.submit(() -> {
                for (int i = 0; running.get() && i < 100_000; i++) {
                    long start = System.nanoTime();
                    String text = "client " + client + " exchange " + i;
                    try {
                        if (echo(port, text).equals(text)) {
                            synchronized (ok) {
                                ok[0]++;
                            }
                            continue;
                        }
                        failureText.add(text + ": wrong answer");
                    } catch (IOException e) {
                        failureText.add(text + ": " + e);
                    }
                    failures.add(new long[] {start, System.nanoTime()});
                }
                return null;
            }));
        }
        try {
            for (int i = 0; i < 5; i++) {
                int before = gaps.size();
                ssh("bundle:update org.netdrivers.echo");
                await("driver back after update " + (i + 1), () -> gaps.size() > before);
                Thread.sleep(100);
            }
        } finally {
            running.set(false);
            for (Future<?> f : running3) {
                f.get(60, TimeUnit.SECONDS);
            }
            clients.shutdown();
            context.removeServiceListener(listener);
        }
        int cut = 0;
        List<String> unexplained = new ArrayList<>();
        for (int i = 0; i < failures.size(); i++) {
            long[] f = failures.get(i);
            // a connection in progress when its driver stopped is closed (by contract); one begun later must not fail
            boolean overlappedStop = gaps.stream().anyMatch(g -> g[0] >= f[0] - 2_000_000 && g[0] <= f[1]);
            if (overlappedStop) {
                cut++;
            } else {
                unexplained.add(failureText.get(i));
            }
        }
        System.out.printf("bundle:update x5 under 3 clients in Karaf: %d exchanges verified, %d in progress when the driver stopped,"
                + " %d other failures%n", ok[0], cut, unexplained.size());
        assertEquals("new connections that failed: " + unexplained, 0, unexplained.size());
        assertTrue("traffic ran: " + ok[0], ok[0] >= 20);

        // feature:uninstall of the echo driver, the core kept: the service goes, the export closes. Karaf uninstalls
        // only what was asked for: netdrivers (which holds netdrivers-echo) goes first, then netdrivers-echo itself
        ssh("feature:install netdrivers-core");
        ssh("feature:uninstall netdrivers");
        ssh("feature:uninstall netdrivers-echo");
        assertNull("the echo bundle is gone", bundle("org.netdrivers.echo"));
        assertEquals("the registry stays", Bundle.ACTIVE, bundle("org.netdrivers.registry").getState());
        await("no karaf-echo service", () -> !driverUp("karaf-echo"));
        await("the export closed", () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return false;
            } catch (ConnectException refused) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        c.delete();
        String after = ssh("network:list");
        assertTrue("the echo driver's endpoint is gone; the TCP driver's (feature netdrivers-tcp, asked for on its own) serves on: "
                + after, !after.contains("karaf-echo") && after.contains("dut-ssh"));
    }
}
