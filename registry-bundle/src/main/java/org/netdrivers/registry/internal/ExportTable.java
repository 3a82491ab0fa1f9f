package org.netdrivers.registry.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.support.net.ListenAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every export, keyed by listen address: those a driver asks for with {@code network.export}, and
 * those of forward configurations. A driver export outlives its driver by the wait bound plus a
 * second, so that a driver being replaced finds its listener still there.
 */
final class ExportTable {
    private static final Logger LOG = LoggerFactory.getLogger(ExportTable.class);

    private final ExportSettings context;
    private final Map<ListenAddress, Entry> exports = new HashMap<>();
    private final Jmx jmx;

    private static final class Entry {
        final Export export;
        final String driverName; // null for a forward
        final String forwardPid; // null for a driver export
        ScheduledFuture<?> linger;

        Entry(Export export, String driverName, String forwardPid) {
            this.export = export;
            this.driverName = driverName;
            this.forwardPid = forwardPid;
        }
    }

    /** Callers waiting for an export to start, by address; guarded by this. */
    private final Map<ListenAddress, List<CompletableFuture<StreamRegistry.Export>>> watchers = new HashMap<>();

    ExportTable(ExportSettings context, Jmx jmx) {
        this.context = context;
        this.jmx = jmx;
    }

    private void put(ListenAddress listen, Entry entry) {
        exports.put(listen, entry);
        jmx.exportAdded(listen.toString(), entry.export::snapshot);
    }

    private void removed(ListenAddress listen) {
        jmx.exportRemoved(listen.toString());
    }

    /** A driver with {@code network.export} appeared: start its export or keep the existing one. */
    synchronized void driverAppeared(EndpointEntry endpoint) {
        String source = endpoint.describe() + ", field '" + NetworkConstants.NETWORK_EXPORT + "'";
        if (endpoint.exportProblem() != null) {
            LOG.warn("export not started: {}: {}", source, endpoint.exportProblem());
            return;
        }
        if (endpoint.exportAddress().isEmpty()) {
            return;
        }
        ListenAddress listen = endpoint.exportAddress().get();
        Entry existing = exports.get(listen);
        if (existing != null) {
            if (endpoint.name().equals(existing.driverName)) {
                if (existing.linger != null) {
                    existing.linger.cancel(false);
                    existing.linger = null;
                }
                if (!existing.export.snapshot().listening()) {
                    existing.export.start();
                    started(listen, existing.export);
                }
                return;
            }
            LOG.warn("export {} not started: {}: the address is already used by the export of {}", listen, source,
                    existing.export.source());
            return;
        }
        Export export = new Export(listen, Target.parse(endpoint.name()), source, context, null);
        put(listen, new Entry(export, endpoint.name(), null));
        export.start();
        started(listen, export);
    }

    /**
     * The registry's configuration changed: exports that could not listen try again (a tls://
     * export configured before the registry's key and trust stores, an address refused before
     * insecure_exports was set). Exports that listen keep their listener.
     */
    synchronized void retryStopped() {
        exports.forEach((listen, entry) -> {
            if (!entry.export.snapshot().listening() && entry.linger == null) {
                entry.export.start();
                started(listen, entry.export);
            }
        });
    }

    /** A driver is going away: every export moves its UDP sessions off it (see Export.driverGoing). */
    synchronized void driverGoing(EndpointEntry endpoint) {
        for (Entry e : exports.values()) {
            e.export.driverGoing(endpoint);
        }
    }

    /** A driver went away: its export lingers for a replacement, then stops. */
    synchronized void driverGone(EndpointEntry endpoint) {
        if (endpoint.exportAddress().isEmpty()) {
            return;
        }
        ListenAddress listen = endpoint.exportAddress().get();
        Entry entry = exports.get(listen);
        if (entry == null || !endpoint.name().equals(entry.driverName) || entry.linger != null) {
            return;
        }
        long lingerMs = context.waitMs() + 1000;
        entry.linger = context.timer().schedule(() -> expire(listen, entry), lingerMs, TimeUnit.MILLISECONDS);
    }

    private synchronized void expire(ListenAddress listen, Entry entry) {
        if (exports.get(listen) != entry || entry.linger == null) {
            return;
        }
        boolean stillWanted = context.endpointTable().all().stream()
                .anyMatch(e -> entry.driverName.equals(e.name()) && e.exportAddress().equals(Optional.of(listen)));
        if (stillWanted) {
            entry.linger = null;
            return;
        }
        exports.remove(listen);
        removed(listen);
        entry.export.stop("no driver '" + entry.driverName + "' asks for it any more");
    }

    /**
     * Starts the export of a forward configuration.
     *
     * @return null when listening, else the problem (already logged)
     */
    synchronized String addForward(String pid, ListenAddress listen, Target target, java.util.Set<String> tlsAllow) {
        String source = "configuration " + pid + ", field '" + NetworkConstants.FORWARD_LISTEN + "'";
        Entry existing = exports.get(listen);
        if (existing != null) {
            String problem = "the address is already used by the export of " + existing.export.source();
            LOG.warn("export {} not started: {}: {}", listen, source, problem);
            return problem;
        }
        Export export = new Export(listen, target, source, context, tlsAllow);
        put(listen, new Entry(export, null, pid));
        boolean listening = export.start();
        started(listen, export);
        return listening ? null : export.snapshot().lastError().orElse("not listening");
    }

    /** @see Forwards#whenStarted */
    synchronized CompletableFuture<StreamRegistry.Export> whenStarted(ListenAddress listen) {
        Entry e = exports.get(listen);
        StreamRegistry.Export now = e == null ? null : e.export.snapshot();
        if (now != null && (now.listening() || now.lastError().isPresent())) {
            return CompletableFuture.completedFuture(now);
        }
        CompletableFuture<StreamRegistry.Export> f = new CompletableFuture<>();
        List<CompletableFuture<StreamRegistry.Export>> list = watchers.computeIfAbsent(listen, k -> new ArrayList<>());
        list.removeIf(CompletableFuture::isDone); // those whose callers stopped waiting
        list.add(f);
        return f;
    }

    /** Called with this lock held, after {@code export} tried to listen. */
    private void started(ListenAddress listen, Export export) {
        List<CompletableFuture<StreamRegistry.Export>> waiting = watchers.remove(listen);
        if (waiting != null) {
            StreamRegistry.Export snapshot = export.snapshot();
            waiting.forEach(f -> f.complete(snapshot));
        }
    }

    synchronized void removeForward(String pid, String why) {
        exports.entrySet().removeIf(e -> {
            if (pid.equals(e.getValue().forwardPid)) {
                e.getValue().export.stop(why);
                removed(e.getKey());
                return true;
            }
            return false;
        });
    }

    synchronized List<StreamRegistry.Export> snapshot() {
        List<StreamRegistry.Export> list = new ArrayList<>();
        for (Entry e : exports.values()) {
            list.add(e.export.snapshot());
        }
        list.sort(Comparator.comparing(StreamRegistry.Export::listen));
        return list;
    }

    synchronized void stopAll(String why) {
        for (Entry e : exports.values()) {
            if (e.linger != null) {
                e.linger.cancel(false);
            }
            e.export.stop(why);
        }
        exports.keySet().forEach(this::removed);
        exports.clear();
    }
}
