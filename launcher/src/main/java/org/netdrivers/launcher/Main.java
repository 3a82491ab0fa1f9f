package org.netdrivers.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * The netdrivers runtime: an embedded Felix that starts the core bundles of the distribution and
 * lets Felix FileInstall watch {@code HOME/deploy} for driver bundles and {@code HOME/etc} for
 * configurations.
 *
 * <pre>
 * java -jar lib/netdrivers-launcher.jar [--home DIR] [--no-shell | --shell]
 * </pre>
 *
 * On first start HOME gets the distribution's {@code etc/} (the demo configuration, unless HOME's
 * etc/ holds configurations already) and {@code deploy/}; later starts keep the files there, and
 * replace a driver jar in {@code deploy/} only with a newer build.
 */
public final class Main {
    /** The demo configuration of the distribution's etc/, for a home that starts empty. */
    static final String DEMO = "org.netdrivers.echo-demo.cfg";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private Main() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of("runtime");
        boolean shell = System.console() != null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = Path.of(args[++i]);
                case "--no-shell" -> shell = false;
                case "--shell" -> shell = true; // commands from stdin even when it is not a terminal (a pipe, a script)
                case "--help", "-h" -> {
                    System.out.println("usage: netdrivers [--home DIR] [--no-shell | --shell]");
                    return;
                }
                default -> {
                    System.err.println("netdrivers: unknown argument " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }
        // Apache Curator (in the fleet bundle) logs an ERROR line with a stack trace for each of its operations a
        // lost session or a closing client ends, as when the fleet stops while ZooKeeper is unreachable; the fleet
        // reports ZooKeeper's state itself. Curator's own switch for that, unless set on the command line.
        if (System.getProperty("curator-dont-log-connection-problems") == null) {
            System.setProperty("curator-dont-log-connection-problems", "true");
        }
        Framework framework = start(distribution(), home.toAbsolutePath(), shell);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(framework), "netdrivers-shutdown"));
        framework.waitForStop(0);
        System.exit(0);
    }

    /** The distribution folder: the parent of the lib/ folder that holds this jar. */
    static Path distribution() throws URISyntaxException {
        Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return jar.getParent().getParent();
    }

    /** Prepares HOME, starts the framework and the core bundles, and the FileInstall watchers. */
    public static Framework start(Path dist, Path home, boolean shell) throws Exception {
        prepareHome(dist, home);
        Path cache = home.resolve("cache");
        Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, cache.toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put("felix.fileinstall.dir", home.resolve("deploy").toString());
        props.put("felix.fileinstall.poll", "1000");
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.log.level", "3");
        props.put("felix.fileinstall.bundles.new.start", "true");
        // FileInstall's working folder, in the cache (cleaned at every start): by default each
        // watcher made one in the system's temporary folder at each start, removed only at a clean
        // exit, so a runtime killed (kill -9, a watchdog) left two behind every time
        props.put("felix.fileinstall.tmpdir", cache.resolve("fileinstall-deploy").toString());
        // no write-back of configurations into etc/: FileInstall's own poll can read a file while it
        // rewrites it, and then applies a configuration with fields missing (seen in RuntimeIT)
        props.put("felix.fileinstall.enableConfigSave", "false");
        // where shell commands that create configurations (network:forward) write their files
        props.put("netdrivers.etc", home.resolve("etc").toString());
        props.put("org.ops4j.pax.logging.property.file", home.resolve("etc/org.ops4j.pax.logging.cfg").toString());
        props.put("org.ops4j.pax.logging.DefaultServiceLog.level", "WARN");
        props.put("ds.loglevel", "warn");
        props.put("gosh.args", shell ? "" : "--nointeractive");
        props.put("gosh.home", home.toString());

        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        Framework framework = factory.newFramework(props);
        framework.init();
        BundleContext context = framework.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : coreBundles(dist.resolve("bundle"))) {
            installed.add(context.installBundle(jar.toUri().toString()));
        }
        framework.start();
        Bundle shellBundle = null;
        for (Bundle b : installed) {
            if (GOGO_SHELL.equals(b.getSymbolicName())) {
                shellBundle = b; // reads commands at once: started once the runtime's commands are there
            } else if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                startBundle(b);
            }
        }
        watchEtc(context, home.resolve("etc"), cache.resolve("fileinstall-etc"));
        if (shellBundle != null) {
            awaitCommands(context, COMMANDS_WAIT_MS);
            startBundle(shellBundle);
        }
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        log("INFO", "netdrivers runtime started in " + uptime + " ms: home " + home + ", " + installed.size()
                + " core bundles; drivers from deploy/, configurations from etc/" + (shell ? "" : "; no interactive shell (stdin is not a terminal)"));
        return framework;
    }

    private static final String GOGO_SHELL = "org.apache.felix.gogo.shell";
    private static final long COMMANDS_WAIT_MS = 10_000;
    /** The runtime's shell commands the shell waits for: one of each component that registers them. */
    private static final List<String> COMMANDS = List.of("list", "connect");

    private static void startBundle(Bundle b) {
        try {
            b.start();
        } catch (BundleException e) {
            log("ERROR", "bundle " + b.getSymbolicName() + " did not start: " + e.getMessage());
        }
    }

    /**
     * Waits, at most {@code ms}, until the {@code network:} commands are registered, so that a
     * command piped to {@code --shell} finds them (the shell reads its input as soon as it starts).
     */
    private static void awaitCommands(BundleContext context, long ms) throws InterruptedException {
        Object changed = new Object();
        ServiceListener listener = event -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        };
        try {
            context.addServiceListener(listener, "(osgi.command.scope=network)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            synchronized (changed) {
                while (!commandsRegistered(context)) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        log("WARN", "the network: commands are not registered after " + ms + " ms; the shell starts without them");
                        return;
                    }
                    changed.wait(left);
                }
            }
        } finally {
            context.removeServiceListener(listener);
        }
    }

    private static boolean commandsRegistered(BundleContext context) {
        for (String function : COMMANDS) {
            try {
                if (context.getServiceReferences((String) null,
                        "(&(osgi.command.scope=network)(osgi.command.function=" + function + "))") == null) {
                    return false;
                }
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return true;
    }

    /**
     * Asks FileInstall (through Config Admin) to watch {@code etc} for configuration files too,
     * with {@code tmp} as that watcher's working folder.
     */
    private static void watchEtc(BundleContext context, Path etc, Path tmp) throws IOException {
        ServiceReference<?> ref = context.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        if (ref == null) {
            log("ERROR", "Config Admin is not running: configurations in " + etc + " are not watched");
            return;
        }
        Object admin = context.getService(ref);
        try {
            // reflection keeps the launcher free of the Config Admin API, which lives in a bundle
            Object configuration = admin.getClass()
                    .getMethod("getFactoryConfiguration", String.class, String.class, String.class)
                    .invoke(admin, "org.apache.felix.fileinstall", "etc", "?");
            Hashtable<String, Object> watcher = new Hashtable<>();
            watcher.put("felix.fileinstall.dir", etc.toString());
            // .cfg/.config: configurations; .yaml/.yml: Jumpstarter exporter files (jumpstarter-bundle).
            // Not the logging configuration: Pax Logging reads it at start (org.ops4j.pax.logging.property.file),
            // and applying it again through Config Admin restarts the appenders while the first drivers
            // log their start: those lines were lost (seen in RuntimeIT). Edits to it apply at the next start.
            watcher.put("felix.fileinstall.filter", "(?!org\\.ops4j\\.pax\\.logging\\.cfg$).*\\.(cfg|config|yaml|yml)");
            watcher.put("felix.fileinstall.poll", "1000");
            watcher.put("felix.fileinstall.noInitialDelay", "true");
            watcher.put("felix.fileinstall.log.level", "3");
            watcher.put("felix.fileinstall.enableConfigSave", "false");
            watcher.put("felix.fileinstall.tmpdir", tmp.toString());
            configuration.getClass().getMethod("update", java.util.Dictionary.class).invoke(configuration, watcher);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot configure the FileInstall watcher of " + etc, e);
        } finally {
            context.ungetService(ref);
        }
    }

    /** The core bundles, Pax Logging first so that the others log through it from the start. */
    private static List<Path> coreBundles(Path dir) throws IOException {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
            s.forEach(jars::add);
        }
        jars.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().startsWith("pax-logging"))
                .thenComparing(p -> p.getFileName().toString()));
        return jars;
    }

    /** Copies etc/ files that HOME lacks and deploy/ jars that HOME lacks or has older. */
    static void prepareHome(Path dist, Path home) throws IOException {
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("deploy"));
        boolean firstStart = !Files.exists(home.resolve("etc/.initialized"));
        if (firstStart && holdsConfigurations(home.resolve("etc"))) {
            // a home prepared with its own configurations before its first start: those, without the demo
            copyAll(dist.resolve("etc"), home.resolve("etc"), false, f -> !f.getFileName().toString().equals(DEMO));
            Files.writeString(home.resolve("etc/.initialized"), "this home had configurations before its first start: no demo\n");
        } else if (firstStart) {
            copyAll(dist.resolve("etc"), home.resolve("etc"), false, f -> true);
            Files.writeString(home.resolve("etc/.initialized"), "the demo configuration was copied here on first start\n");
        } else if (!Files.exists(home.resolve("etc/org.ops4j.pax.logging.cfg"))) {
            Files.copy(dist.resolve("etc/org.ops4j.pax.logging.cfg"), home.resolve("etc/org.ops4j.pax.logging.cfg"));
        }
        copyAll(dist.resolve("deploy"), home.resolve("deploy"), true, f -> true);
    }

    /** Whether {@code etc} holds a configuration file ({@code *.cfg}, {@code *.config}). */
    private static boolean holdsConfigurations(Path etc) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(etc, "*.{cfg,config}")) {
            return s.iterator().hasNext();
        }
    }

    private static void copyAll(Path from, Path to, boolean replaceOlder, java.util.function.Predicate<Path> which) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(from)) {
            for (Path f : s) {
                if (!which.test(f)) {
                    continue;
                }
                Path target = to.resolve(f.getFileName().toString());
                if (!Files.exists(target)) {
                    Files.copy(f, target);
                } else if (replaceOlder && Files.getLastModifiedTime(f).compareTo(Files.getLastModifiedTime(target)) > 0
                        && Files.mismatch(f, target) != -1L) {
                    try (InputStream in = Files.newInputStream(f)) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    /** Stops the framework, waiting up to 10 s. */
    public static void stop(Framework framework) {
        try {
            if (framework.getState() == Bundle.ACTIVE || framework.getState() == Bundle.STARTING) {
                log("INFO", "netdrivers runtime stopping");
                framework.stop();
                framework.waitForStop(10_000);
            }
        } catch (Exception e) {
            log("ERROR", "stop failed: " + e);
        }
    }

    private static void log(String level, String message) {
        System.out.printf("%s %-5s %-20s | %s%n", LocalTime.now().format(TIME), level, "Main", message);
    }
}
