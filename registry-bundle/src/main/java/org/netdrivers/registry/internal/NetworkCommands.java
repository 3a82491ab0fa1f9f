package org.netdrivers.registry.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.net.ListenAddress;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands of scope {@code network} (plain Felix and the Karaf shell); they need nothing of
 * Gogo but these properties. A failing command throws with a message that says what is wrong.
 */
@Component(service = NetworkCommands.class, property = {
        "osgi.command.scope=network",
        "osgi.command.function=list",
        "osgi.command.function=address",
        "osgi.command.function=stats",
        "osgi.command.function=forward",
        "osgi.command.function=unforward"})
public final class NetworkCommands {
    /** Framework property the launcher sets: the folder whose .cfg files are the runtime's configuration. */
    static final String ETC_PROPERTY = "netdrivers.etc";
    private static final long FORWARD_WAIT_MS = 5000;

    private final StreamRegistry registry;
    private final Forwards forwards;
    private final BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ConfigurationAdmin configurationAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile IoThreads io;

    @Activate
    public NetworkCommands(@Reference StreamRegistry registry, @Reference Forwards forwards, BundleContext context) {
        this.registry = registry;
        this.forwards = forwards;
        this.context = context;
    }

    // Each command prints its answer (and returns nothing): a returned value is printed by an
    // interactive shell only, not by Karaf's ssh exec ("ssh karaf@host network:list").

    public void list() {
        System.out.println(listText());
    }

    public void address(String name) {
        System.out.println(addressText(name));
    }

    public void stats() {
        System.out.println(statsText());
    }

    public void stats(String name) {
        System.out.println(statsText(name));
    }

    public void forward(String target, String listen) throws Exception {
        System.out.println(forwardText(target, listen));
    }

    public void unforward(String listen) throws Exception {
        System.out.println(unforwardText(listen));
    }

    /** network:list — every endpoint with its status, address, export, streams and bytes. */
    String listText() {
        List<StreamRegistry.Endpoint> endpoints = registry.endpoints();
        if (endpoints.isEmpty()) {
            return "no network endpoints";
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-20s %-9s %-10s %-32s %-26s %7s %12s %12s%n",
                "NAME", "TYPE", "STATUS", "ADDRESS", "EXPORT", "STREAMS", "BYTES IN", "BYTES OUT"));
        StringBuilder errors = new StringBuilder();
        for (StreamRegistry.Endpoint e : endpoints) {
            sb.append(String.format(Locale.ROOT, "%-20s %-9s %-10s %-32s %-26s %7d %12d %12d%n", e.name(), e.type(), status(e),
                    e.address(), e.export().orElse("-"), e.openStreams(), e.bytesIn(), e.bytesOut()));
            Object error = e.properties().get(NetworkConstants.NETWORK_LAST_ERROR);
            if (error != null) {
                errors.append(e.name()).append(": ").append(error).append('\n');
            }
        }
        if (errors.length() > 0) {
            sb.append("\nfailing:\n").append(errors);
        }
        return sb.toString().stripTrailing();
    }

    private static String status(StreamRegistry.Endpoint e) {
        Object s = e.properties().get(NetworkConstants.NETWORK_STATUS);
        return s == null ? "-" : s.toString();
    }

    /** network:address NAME — the address of one endpoint. */
    String addressText(String name) {
        return endpoint(name).address();
    }

    private StreamRegistry.Endpoint endpoint(String name) {
        return registry.endpoint(name).orElseThrow(() -> new IllegalArgumentException("no network endpoint named '" + name
                + "'" + (registry.endpoints().isEmpty() ? "" : "; known: " + String.join(", ",
                        registry.endpoints().stream().map(StreamRegistry.Endpoint::name).distinct().toList()))));
    }

    /** network:stats — traffic per endpoint and per export. */
    String statsText() {
        StringBuilder sb = new StringBuilder();
        for (StreamRegistry.Endpoint e : registry.endpoints()) {
            sb.append(endpointStats(e)).append('\n');
        }
        for (StreamRegistry.Export x : registry.exports()) {
            sb.append(exportStats(x)).append('\n');
        }
        if (sb.length() == 0) {
            sb.append("no endpoints and no exports\n");
        }
        IoThreads threads = io;
        if (threads != null) {
            sb.append(ioStats(threads.processorsBusy(), threads.loopsBusy())).append('\n');
        }
        return sb.toString().stripTrailing();
    }

    /** How busy the I/O threads are: where the runtime places new connections, and where a slow one may wait. */
    static String ioStats(double[] processors, double[] loops) {
        return "I/O threads, share of the last 134 to 268 ms spent working: processors " + percents(processors)
                + ", selector loops " + percents(loops);
    }

    private static String percents(double[] shares) {
        StringBuilder sb = new StringBuilder();
        for (double share : shares) {
            sb.append(sb.length() == 0 ? "" : " ").append(Math.round(share * 100)).append('%');
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }

    /** network:stats NAME — traffic of one endpoint and of the exports that serve it. */
    String statsText(String name) {
        StreamRegistry.Endpoint e = endpoint(name);
        StringBuilder sb = new StringBuilder(endpointStats(e)).append('\n');
        for (StreamRegistry.Export x : registry.exports()) {
            if (x.target().equals(name) || e.export().map(x.listen()::equals).orElse(false)) {
                sb.append(exportStats(x)).append('\n');
            }
        }
        return sb.toString().stripTrailing();
    }

    private static String endpointStats(StreamRegistry.Endpoint e) {
        Object error = e.properties().get(NetworkConstants.NETWORK_LAST_ERROR);
        return String.format(Locale.ROOT, "endpoint %s: %s, streams open %d, total %d, bytes in %d, out %d%s", e.name(), status(e),
                e.openStreams(), e.totalStreams(), e.bytesIn(), e.bytesOut(), error == null ? "" : ", last error: " + error);
    }

    private static String exportStats(StreamRegistry.Export x) {
        return String.format(Locale.ROOT,
                "export %s -> %s: %s, connections open %d, total %d (relayed %d), failed %d, bytes in %d, out %d, max in flight %d of %d%s%s",
                x.listen(), x.target(), x.listening() ? "listening" : "not listening", x.openConnections(),
                x.totalConnections(), x.relayedConnections(), x.failedConnections(), x.bytesIn(), x.bytesOut(), x.maxBytesInFlight(),
                x.inFlightLimit(), x.droppedMessages() > 0 ? ", datagrams dropped " + x.droppedMessages() : "",
                x.lastError().map(err -> ", last error: " + err).orElse(""));
    }

    /**
     * network:forward TARGET LISTEN — exports TARGET (a network.name or an LDAP filter) on LISTEN
     * through a forward configuration, so that it survives a restart: in the netdrivers runtime a
     * file in its etc/ folder, elsewhere (Karaf) a configuration through Config Admin, which Karaf
     * keeps. Waits up to 5 s for the listener and says how it went.
     */
    String forwardText(String target, String listen) throws Exception {
        Target.parse(target); // says what is wrong with a filter
        ListenAddress address;
        try {
            address = ListenAddress.parse(listen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + listen + "': " + e.getMessage());
        }
        Optional<StreamRegistry.Export> taken = export(address);
        if (taken.isPresent()) {
            throw new IllegalArgumentException(address + " is already used by the export of " + taken.get().source());
        }
        String name = configName(address);
        String etc = context.getProperty(ETC_PROPERTY);
        String where;
        if (etc != null) {
            Path file = Path.of(etc, NetworkConstants.PID_FORWARD + "-" + name + ".cfg");
            Path temp = Files.createTempFile(Path.of(etc), ".forward-", ".tmp");
            Files.writeString(temp, "# created by network:forward\n" + NetworkConstants.FORWARD_TARGET + " = " + escape(target) + "\n"
                    + NetworkConstants.FORWARD_LISTEN + " = " + escape(address.toString()) + "\n", StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            where = "file " + file;
        } else {
            Configuration c = admin().getFactoryConfiguration(NetworkConstants.PID_FORWARD, name, "?");
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(NetworkConstants.FORWARD_TARGET, target);
            props.put(NetworkConstants.FORWARD_LISTEN, address.toString());
            c.update(props);
            where = "configuration " + c.getPid();
        }
        // the forward's configuration goes through Config Admin (and FileInstall) to the registry: wait for its export
        java.util.concurrent.CompletableFuture<StreamRegistry.Export> started = forwards.whenStarted(address);
        StreamRegistry.Export x;
        try {
            x = started.get(FORWARD_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            started.cancel(false);
            throw new IllegalStateException("forward " + address + " -> " + target + " is not listening after " + FORWARD_WAIT_MS
                    + " ms (" + where + "); see the log");
        }
        if (x.listening()) {
            return "forward " + address + " -> " + target + ": listening (" + where + ")";
        }
        throw new IllegalStateException("forward " + address + " -> " + target + " does not listen: "
                + x.lastError().orElse("not listening") + " (" + where + "; network:unforward " + address + " removes it)");
    }

    /** network:unforward LISTEN — removes the forward listening on LISTEN (its file or configuration). */
    String unforwardText(String listen) throws Exception {
        ListenAddress address;
        try {
            address = ListenAddress.parse(listen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + listen + "': " + e.getMessage());
        }
        Configuration[] forwards = admin().listConfigurations("(service.factoryPid=" + NetworkConstants.PID_FORWARD + ")");
        int removed = 0;
        StringBuilder what = new StringBuilder();
        for (Configuration c : forwards == null ? new Configuration[0] : forwards) {
            Object l = c.getProperties() == null ? null : c.getProperties().get(NetworkConstants.FORWARD_LISTEN);
            if (l == null || !ListenAddress.tryParse(l.toString()).equals(Optional.of(address))) {
                continue;
            }
            Object file = c.getProperties().get("felix.fileinstall.filename");
            if (file != null) {
                Path path = file.toString().startsWith("file:") ? Path.of(java.net.URI.create(file.toString())) : Path.of(file.toString());
                Files.deleteIfExists(path);
                what.append(" file ").append(path);
            } else {
                what.append(" configuration ").append(c.getPid());
            }
            c.delete();
            removed++;
        }
        if (removed == 0) {
            Optional<StreamRegistry.Export> x = export(address);
            if (x.isPresent()) {
                throw new IllegalArgumentException(address + " is not a forward: it is the export of " + x.get().source()
                        + "; change that configuration");
            }
            throw new IllegalArgumentException("no forward listens on " + address);
        }
        return "forward " + address + " removed (" + what.toString().trim() + ")";
    }

    private ConfigurationAdmin admin() {
        ConfigurationAdmin admin = configurationAdmin;
        if (admin == null) {
            throw new IllegalStateException("no Config Admin service: forwards are configurations");
        }
        return admin;
    }

    private Optional<StreamRegistry.Export> export(ListenAddress address) {
        return registry.exports().stream().filter(x -> ListenAddress.tryParse(x.listen()).equals(Optional.of(address))).findFirst();
    }

    /** A configuration name from a listen address: tcp://127.0.0.1:5201 -> tcp-127.0.0.1-5201. */
    static String configName(ListenAddress address) {
        return address.toString().replaceAll("[^A-Za-z0-9._]+", "-").replaceAll("^-|-$", "");
    }

    /** A value for a .cfg (properties) file: only a backslash needs escaping after the separator. */
    private static String escape(String value) {
        return value.replace("\\", "\\\\");
    }
}
