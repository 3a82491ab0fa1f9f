package org.netdrivers.jumpstarter.internal;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FileInstall's hook for Jumpstarter exporter files ({@code *.yaml}, {@code *.yml} holding
 * {@code apiVersion: jumpstarter.dev/...} and {@code kind: ExporterConfig}) in a watched folder:
 * adding the file creates one factory configuration per network driver in it, editing it updates,
 * adds and removes those configurations, deleting it removes them. A file that cannot be read
 * changes nothing and says why in one line.
 */
@Component(service = ArtifactInstaller.class, immediate = true)
public final class JumpstarterImport implements ArtifactInstaller {
    /** Configuration property that ties a configuration to the file it came from. */
    static final String SOURCE = "netdrivers.import";
    private static final Logger LOG = LoggerFactory.getLogger(JumpstarterImport.class);

    private final ConfigurationAdmin admin;

    @Activate
    public JumpstarterImport(@Reference ConfigurationAdmin admin) {
        this.admin = admin;
    }

    @Override
    public boolean canHandle(File artifact) {
        String name = artifact.getName();
        if (!(name.endsWith(".yaml") || name.endsWith(".yml")) || artifact.length() > 4 * 1024 * 1024) {
            return false;
        }
        try {
            return ExporterConfig.looksLikeOne(Files.readString(artifact.toPath(), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void install(File artifact) throws Exception {
        apply(artifact);
    }

    @Override
    public void update(File artifact) throws Exception {
        apply(artifact);
    }

    @Override
    public void uninstall(File artifact) throws Exception {
        int removed = 0;
        for (Configuration c : imported(artifact)) {
            c.delete();
            removed++;
        }
        LOG.info("jumpstarter import {}: file removed, {} configuration(s) deleted", artifact, removed);
    }

    private void apply(File artifact) throws IOException {
        ExporterConfig config;
        try (Reader reader = Files.newBufferedReader(artifact.toPath(), StandardCharsets.UTF_8)) {
            config = ExporterConfig.read(reader);
        } catch (IllegalArgumentException e) {
            LOG.warn("jumpstarter import {}: {}; configurations left as they were", artifact, e.getMessage());
            return;
        }
        Map<String, Configuration> existing = new HashMap<>();
        for (Configuration c : imported(artifact)) {
            existing.put(c.getPid(), c);
        }
        List<String> created = new ArrayList<>();
        for (ExporterConfig.Driver d : config.drivers()) {
            Configuration c = admin.getFactoryConfiguration(d.factoryPid(), d.path(), "?");
            existing.remove(c.getPid());
            Hashtable<String, Object> props = new Hashtable<>(d.properties());
            props.put(SOURCE, artifact.getAbsolutePath());
            if (!same(c.getProperties(), props)) {
                c.update(props); // only a change re-creates the driver
            }
            created.add(d.path() + " (" + d.factoryPid().substring(d.factoryPid().lastIndexOf('.') + 1) + ")");
        }
        for (Configuration gone : existing.values()) {
            gone.delete();
        }
        for (String s : config.skipped()) {
            LOG.info("jumpstarter import {}: {}", artifact, s);
        }
        LOG.info("jumpstarter import {}: {} network driver(s): {}; {} entr{} skipped; {} configuration(s) removed", artifact,
                created.size(), created.isEmpty() ? "none" : String.join(", ", created), config.skipped().size(),
                config.skipped().size() == 1 ? "y" : "ies", existing.size());
    }

    private List<Configuration> imported(File artifact) throws IOException {
        try {
            Configuration[] found = admin.listConfigurations("(" + SOURCE + "=" + escape(artifact.getAbsolutePath()) + ")");
            return found == null ? List.of() : List.of(found);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IOException(e);
        }
    }

    /** Whether a configuration already holds exactly these properties (framework ones aside). */
    private static boolean same(Dictionary<String, Object> current, Map<String, Object> wanted) {
        if (current == null) {
            return false;
        }
        Map<String, Object> have = new HashMap<>();
        for (Enumeration<String> keys = current.keys(); keys.hasMoreElements(); ) {
            String k = keys.nextElement();
            if (!k.equals("service.pid") && !k.equals("service.factoryPid") && !k.equals("service.bundleLocation")) {
                have.put(k, current.get(k));
            }
        }
        if (!have.keySet().equals(wanted.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : wanted.entrySet()) {
            Object h = have.get(e.getKey());
            Object w = e.getValue();
            if (h instanceof Object[] && w instanceof Object[] ? !java.util.Arrays.equals((Object[]) h, (Object[]) w) : !w.equals(h)) {
                return false;
            }
        }
        return true;
    }

    /** An LDAP filter value. */
    private static String escape(String value) {
        StringBuilder sb = new StringBuilder();
        for (char c : value.toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
