package org.netdrivers.jumpstarter.internal;

import java.io.Reader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.netdrivers.api.NetworkConstants;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A Jumpstarter exporter configuration ({@code apiVersion: jumpstarter.dev/v1alpha1}, {@code kind:
 * ExporterConfig}) read into the network drivers it declares: every entry of the {@code export:}
 * tree, and of the {@code children:} of composites, whose {@code type} is one of
 * jumpstarter_driver_network's drivers becomes a factory configuration named by its path in the
 * tree ({@code ssh.tcp}); a {@code ref:} to such a driver becomes a second endpoint of the same
 * configuration under the ref's own path; every other entry is reported as skipped.
 */
final class ExporterConfig {
    /** jumpstarter_driver_network's driver classes and the factory PIDs that serve them here. */
    static final Map<String, String> NETWORK_TYPES = Map.of(
            "jumpstarter_driver_network.driver.TcpNetwork", NetworkConstants.PID_TCP,
            "jumpstarter_driver_network.driver.UdpNetwork", NetworkConstants.PID_UDP,
            "jumpstarter_driver_network.driver.UnixNetwork", NetworkConstants.PID_UNIX,
            "jumpstarter_driver_network.driver.VsockNetwork", NetworkConstants.PID_VSOCK,
            "jumpstarter_driver_network.driver.DbusNetwork", NetworkConstants.PID_DBUS,
            "jumpstarter_driver_network.driver.EchoNetwork", NetworkConstants.PID_ECHO,
            "jumpstarter_driver_network.driver.WebsocketNetwork", NetworkConstants.PID_WEBSOCKET);

    /** One network driver to configure. */
    record Driver(String path, String factoryPid, Map<String, Object> properties) {
    }

    private final List<Driver> drivers = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();

    private ExporterConfig() {
    }

    List<Driver> drivers() {
        return drivers;
    }

    /** One sentence per entry that does not become a driver, saying why. */
    List<String> skipped() {
        return skipped;
    }

    /** Whether {@code text} looks like an exporter configuration (cheap: FileInstall asks for every file). */
    static boolean looksLikeOne(String text) {
        return text.contains("jumpstarter.dev/") && text.contains("ExporterConfig");
    }

    /**
     * @throws IllegalArgumentException saying where the file is not a readable exporter configuration
     */
    static ExporterConfig read(Reader reader) {
        Object root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(50);
            root = new Yaml(new SafeConstructor(options)).load(reader);
        } catch (YAMLException e) {
            throw new IllegalArgumentException("not valid YAML: " + e.getMessage().replaceAll("\\s+", " ").trim());
        }
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException("not an exporter configuration (no mapping at the top)");
        }
        Map<?, ?> top = (Map<?, ?>) root;
        Object api = top.get("apiVersion");
        if (api == null || !api.toString().startsWith("jumpstarter.dev/")) {
            throw new IllegalArgumentException("apiVersion is " + api + ", not jumpstarter.dev/...");
        }
        if (!"ExporterConfig".equals(String.valueOf(top.get("kind")))) {
            throw new IllegalArgumentException("kind is " + top.get("kind") + ", not ExporterConfig");
        }
        Object export = top.get("export");
        ExporterConfig config = new ExporterConfig();
        if (export == null) {
            return config;
        }
        if (!(export instanceof Map)) {
            throw new IllegalArgumentException("export: is not a mapping of names to drivers");
        }
        Map<String, Object> entries = new LinkedHashMap<>();
        Map<String, String> refs = new LinkedHashMap<>();
        config.walk("", (Map<?, ?>) export, entries, refs);
        config.resolveRefs(entries, refs);
        return config;
    }

    private void walk(String prefix, Map<?, ?> tree, Map<String, Object> entries, Map<String, String> refs) {
        for (Map.Entry<?, ?> e : tree.entrySet()) {
            String path = prefix + e.getKey();
            if (!(e.getValue() instanceof Map)) {
                skipped.add("'" + path + "' skipped: not a driver entry (a mapping with type:, ref: or children:)");
                continue;
            }
            Map<?, ?> node = (Map<?, ?>) e.getValue();
            Object type = node.get("type");
            Object ref = node.get("ref");
            if (ref != null) {
                refs.put(path, ref.toString());
            } else if (type != null) {
                String pid = NETWORK_TYPES.get(type.toString());
                if (pid == null) {
                    skipped.add("'" + path + "' (" + type + ") skipped: not a network driver"
                            + (node.get("children") != null ? " (its children are read)" : ""));
                } else {
                    Map<String, Object> props = properties(path, node.get("config"));
                    Driver d = new Driver(path, pid, props);
                    drivers.add(d);
                    entries.put(path, d);
                }
            } else if (node.get("children") == null) {
                skipped.add("'" + path + "' skipped: it has no type:, ref: or children:");
            }
            Object children = node.get("children");
            if (children instanceof Map) {
                walk(path + ".", (Map<?, ?>) children, entries, refs);
            } else if (children != null) {
                skipped.add("'" + path + "': children: is not a mapping; skipped");
            }
        }
    }

    /** The driver's configuration: its config: scalars and lists of scalars, and network.name = its path. */
    private Map<String, Object> properties(String path, Object config) {
        Map<String, Object> props = new TreeMap<>();
        if (config instanceof Map) {
            for (Map.Entry<?, ?> c : ((Map<?, ?>) config).entrySet()) {
                Object v = c.getValue();
                if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                    props.put(c.getKey().toString(), v instanceof Number && !(v instanceof Integer || v instanceof Long)
                            ? v.toString() : v);
                } else if (v instanceof Collection && ((Collection<?>) v).stream().allMatch(x -> x instanceof String
                        || x instanceof Number || x instanceof Boolean)) {
                    props.put(c.getKey().toString(), ((Collection<?>) v).stream().map(Objects::toString).toArray(String[]::new));
                } else if (v != null) {
                    skipped.add("'" + path + "': config field '" + c.getKey() + "' is not a scalar or a list of scalars; left out");
                }
            }
        } else if (config != null) {
            skipped.add("'" + path + "': config: is not a mapping; left out");
        }
        if (props.get("port") instanceof Long) {
            props.put("port", ((Long) props.get("port")).intValue());
        }
        props.put(NetworkConstants.NETWORK_NAME, path);
        return props;
    }

    private void resolveRefs(Map<String, Object> entries, Map<String, String> refs) {
        for (Map.Entry<String, String> r : refs.entrySet()) {
            Object target = entries.get(r.getValue());
            if (target instanceof Driver) {
                Driver d = (Driver) target;
                Map<String, Object> props = new TreeMap<>(d.properties());
                props.put(NetworkConstants.NETWORK_NAME, r.getKey());
                drivers.add(new Driver(r.getKey(), d.factoryPid(), props));
            } else if (refs.containsKey(r.getValue())) {
                skipped.add("'" + r.getKey() + "' (ref to '" + r.getValue() + "') skipped: a ref to a ref");
            } else {
                skipped.add("'" + r.getKey() + "' (ref to '" + r.getValue() + "') skipped: '" + r.getValue()
                        + "' is not a network driver of this file");
            }
        }
    }
}
