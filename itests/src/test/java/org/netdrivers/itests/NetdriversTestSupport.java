package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;

import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamRegistry;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * What every in-framework test shares: the framework's bundles, configuration helpers, bounded
 * waits for services, and a capture of log lines.
 */
public abstract class NetdriversTestSupport {
    /** Bound of every wait in these tests. */
    protected static final long WAIT_MS = 10_000;

    @Inject
    protected BundleContext context;

    @Inject
    protected ConfigurationAdmin configurationAdmin;

    @Inject
    protected StreamRegistry registry;

    /**
     * Folders for a test's socket files: in the system's temporary folder, whose short path leaves
     * room in the 107 bytes a socket path may have; deleted with what they hold after each test.
     */
    @Rule
    public final TemporaryFolder temp = new TemporaryFolder();

    /** A new folder of {@link #temp}. */
    protected Path tempFolder() throws IOException {
        return temp.newFolder().toPath();
    }

    @Configuration
    public Option[] configuration() {
        return new Option[] {baseOptions()};
    }

    /** The framework: SCR, Config Admin, Metatype, Pax Logging, Mina, and the netdrivers bundles. */
    public static Option baseOptions() {
        String repository = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
        String bundles = System.getProperty("netdrivers.bundles", "target/bundles");
        return composite(
                systemProperty("org.ops4j.pax.url.mvn.localRepository").value(repository),
                systemProperty("org.ops4j.pax.url.mvn.repositories").value(""),
                systemProperty("org.ops4j.pax.url.mvn.useFallbackRepositories").value("false"),
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"),
                // I/O threads of each kind: 4 on any machine (the default is one per core), so that
                // connections meet both paths, spliced on one thread and bridged across two, and a
                // run here behaves as on a machine with more cores (a CI machine with more cores once
                // failed where a 2-core one passed)
                frameworkProperty("netdrivers.io.threads").value(System.getProperty("netdrivers.io.threads", "4")),
                systemProperty("org.ops4j.pax.logging.property.file").value(new File("src/test/resources/log4j2-test.properties").getAbsolutePath()),
                mavenBundle("org.ops4j.pax.logging", "pax-logging-api").versionAsInProject(),
                mavenBundle("org.ops4j.pax.logging", "pax-logging-log4j2").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.metatype").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject(),
                mavenBundle("org.apache.mina", "mina-core").versionAsInProject(),
                bundle("file:" + bundles + "/api-bundle.jar"),
                bundle("file:" + bundles + "/io-bundle.jar"),
                bundle("file:" + bundles + "/registry-bundle.jar"),
                driverBundles(bundles),
                junitBundles());
    }

    /** Every driver bundle of the build's list (the drivers module), as the build copied them to {@code bundles}. */
    private static Option driverBundles(String bundles) {
        // the fleet bundle is not a driver: FleetIT installs it
        java.util.List<String> core = java.util.List.of("api-bundle.jar", "io-bundle.jar", "registry-bundle.jar", "fleet-bundle.jar");
        File[] jars = new File(bundles).listFiles((dir, name) -> name.endsWith("-bundle.jar") && !core.contains(name));
        if (jars == null || jars.length == 0) {
            throw new IllegalStateException("no driver bundles in " + bundles + ": run the tests through Maven (mvn verify)");
        }
        java.util.Arrays.sort(jars);
        return composite(java.util.Arrays.stream(jars).map(f -> bundle("file:" + f.getPath())).toArray(Option[]::new));
    }

    // ---- configurations

    /** Creates (or replaces) the factory configuration {@code factoryPid~name} with {@code props}. */
    protected org.osgi.service.cm.Configuration configure(String factoryPid, String name, Map<String, ?> props) throws IOException {
        org.osgi.service.cm.Configuration c = configurationAdmin.getFactoryConfiguration(factoryPid, name, "?");
        c.update(new Hashtable<>(props));
        return c;
    }

    /**
     * Configures the driver {@code name} of {@code factoryPid} with {@code fields} and further
     * key/value pairs ({@code network.name} is {@code name}), and waits for it.
     */
    protected ServiceReference<NetworkInterface> configureDriver(String factoryPid, String name, Map<String, ?> fields,
            Object... extra) throws Exception {
        Map<String, Object> props = new java.util.HashMap<>(fields);
        props.put(NetworkConstants.NETWORK_NAME, name);
        for (int i = 0; i < extra.length; i += 2) {
            props.put((String) extra[i], extra[i + 1]);
        }
        configure(factoryPid, name, props);
        return awaitDriver(name);
    }

    /**
     * Sets the registry's configuration (a singleton PID) to exactly {@code props}. Tests update
     * this one configuration and go back to the defaults with {@link #registryDefaults()}, never by
     * deleting it: Felix SCR 2.2.12, handling the deletion of a singleton configuration, first looks
     * for one of that PID, and finds the configuration a next test has just created; whose change
     * count is not above the deleted one's, so SCR drops it as stale and skips the deletion. The
     * registry then keeps the previous test's settings until a change count passes the old one.
     */
    protected org.osgi.service.cm.Configuration registrySettings(Map<String, ?> props) throws IOException {
        org.osgi.service.cm.Configuration c = configurationAdmin.getConfiguration(NetworkConstants.PID_REGISTRY, "?");
        c.update(new Hashtable<>(props));
        return c;
    }

    /** The registry back on its defaults: its configuration, if any, emptied (not deleted: see {@link #registrySettings}). */
    protected void registryDefaults() throws IOException, InvalidSyntaxException {
        org.osgi.service.cm.Configuration[] c = configurationAdmin.listConfigurations("(service.pid=" + NetworkConstants.PID_REGISTRY + ")");
        if (c != null) {
            c[0].update(new Hashtable<>());
        }
    }

    /** Deletes every configuration of these factory PIDs. */
    protected void deleteConfigurations(String... factoryPids) throws IOException, InvalidSyntaxException {
        for (String pid : factoryPids) {
            org.osgi.service.cm.Configuration[] all = configurationAdmin.listConfigurations("(service.factoryPid=" + pid + ")");
            if (all != null) {
                for (org.osgi.service.cm.Configuration c : all) {
                    c.delete();
                }
            }
        }
    }

    // ---- services

    /** Waits until the registry's export on {@code listen} listens. */
    protected void awaitExport(String listen) throws InterruptedException {
        awaitCondition("export " + listen + " listening",
                () -> registry.exports().stream().anyMatch(x -> x.listen().equals(listen) && x.listening()));
    }

    /** The registry's export on {@code listen}. */
    protected StreamRegistry.Export export(String listen) {
        return registry.exports().stream().filter(x -> x.listen().equals(listen)).findFirst()
                .orElseThrow(() -> new AssertionError("no export " + listen));
    }

    /**
     * Waits for a driver service named {@code name}, and for the registry to know it (the registry
     * hears of a new service in the same event dispatch as the test's tracker, maybe after it).
     */
    protected ServiceReference<NetworkInterface> awaitDriver(String name) throws Exception {
        ServiceReference<NetworkInterface> ref = awaitService(NetworkInterface.class, "(" + NetworkConstants.NETWORK_NAME + "=" + name + ")");
        awaitCondition("the registry to list '" + name + "'", () -> registry.endpoint(name).isPresent());
        return ref;
    }

    protected <T> ServiceReference<T> awaitService(Class<T> type, String filter) throws Exception {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                FrameworkUtil.createFilter("(&(objectClass=" + type.getName() + ")" + filter + ")"), null);
        tracker.open();
        try {
            if (tracker.waitForService(WAIT_MS) == null) {
                fail("no " + type.getSimpleName() + " service matching " + filter + " within " + WAIT_MS + " ms");
            }
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }

    /** Waits until no driver service named {@code name} is registered. */
    protected void awaitNoDriver(String name) throws Exception {
        String filter = "(&(objectClass=" + NetworkInterface.class.getName() + ")(" + NetworkConstants.NETWORK_NAME + "=" + name + "))";
        awaitCondition("driver '" + name + "' to go away", () -> {
            try {
                return context.getServiceReferences(NetworkInterface.class.getName(), filter) == null;
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    protected NetworkInterface driver(String name) throws Exception {
        return context.getService(awaitDriver(name));
    }

    /** Every thread's stack, for a wait that timed out: what held it up shows there. */
    protected static void printThreads(String why) {
        StringBuilder sb = new StringBuilder("---- threads (" + why + ")\n");
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            sb.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append('\n');
            for (StackTraceElement e : stack) {
                sb.append("    at ").append(e).append('\n');
            }
        });
        System.out.println(sb.append("---- end of threads"));
    }

    /** Waits, bounded, for a condition; fails the test with {@code what} otherwise. */
    /**
     * Waits until no thread of a fleet is left: Curator's are made by the fleet's thread factory
     * ({@code netdrivers-fleet-N}); ZooKeeper names its own after the thread that started the
     * client, with {@code -SendThread(HOST:PORT)} and {@code -EventThread} appended.
     */
    protected static void awaitNoFleetThreads(String what) throws InterruptedException {
        awaitCondition(what, () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("netdrivers-fleet") || t.getName().contains("-SendThread")
                        || t.getName().endsWith("-EventThread")));
    }

    protected static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                printThreads("timed out waiting for " + what);
                fail("timed out after " + WAIT_MS + " ms waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    protected Bundle installedBundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().equals(symbolicName)) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }

    // ---- streams

    /** Waits for a stage, bounded. */
    protected static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("stage did not complete within " + WAIT_MS + " ms");
        }
    }

    /** Waits for the failure of a stage and returns its cause. */
    protected static Throwable awaitFailure(CompletionStage<?> stage) throws Exception {
        try {
            Object value = stage.toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    protected static void send(ByteStream stream, String text) throws Exception {
        await(stream.send(ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    /** Receives one chunk as text, or null at end of stream. */
    protected static String receiveText(ByteStream stream) throws Exception {
        Optional<ByteBuffer> chunk = await(stream.receive());
        if (chunk.isEmpty()) {
            return null;
        }
        ByteBuffer b = chunk.get();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Writes {@code text} to a loopback port, half-closes, and returns everything read back until EOF. */
    protected static String roundTrip(int port, String text) throws IOException {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) WAIT_MS);
            s.getOutputStream().write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    protected static Dictionary<String, Object> dict(Object... keyValues) {
        Hashtable<String, Object> d = new Hashtable<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            d.put((String) keyValues[i], keyValues[i + 1]);
        }
        return d;
    }

    protected static void assertContains(String message, String haystack, String needle) {
        assertTrue(message + ": expected \"" + needle + "\" in \"" + haystack + "\"", haystack != null && haystack.contains(needle));
    }

    protected static void assertEqualsBytes(byte[] expected, byte[] actual) {
        assertEquals(expected.length, actual.length);
        assertTrue("bytes differ", java.util.Arrays.equals(expected, actual));
    }
}
