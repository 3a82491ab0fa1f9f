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
        /** The next attempt to bind, after a bind failed. */
        ScheduledFuture<?> retry;

        Entry(Export export, String driverName, String forwardPid) {
            this.export = export;
            this.driverName = driverName;
            this.forwardPid = forwardPid;
        }
    }

    /**
     * Claims refused because their address was taken, oldest first, by address; guarded by this.
     * When the export holding an address stops, the oldest claim still asked for gets it: a lab
     * that moves an address from one driver to another need not mind the order of the two edits.
     */
    private final Map<ListenAddress, List<Claim>> queued = new HashMap<>();

    /** A driver's export (by driver name) or a forward (by configuration) waiting for its address. */
    private record Claim(String driverName, String forwardPid, Target target, java.util.Set<String> tlsAllow) {
        boolean sameAs(Claim other) {
            return driverName != null ? driverName.equals(other.driverName) : forwardPid.equals(other.forwardPid);
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
        stopMovedAway(endpoint.name(), listen);
        Entry existing = exports.get(listen);
        if (existing != null) {
            if (endpoint.name().equals(existing.driverName)) {
                if (existing.linger != null) {
                    existing.linger.cancel(false);
                    existing.linger = null;
                }
                if (!existing.export.snapshot().listening()) {
                    start(listen, existing);
                }
                return;
            }
            LOG.warn("export {} not started: {}: the address is already used by the export of {}; it starts when that export stops",
                    listen, source, existing.export.source());
            queue(listen, new Claim(endpoint.name(), null, null, null));
            return;
        }
        startDriverExport(listen, endpoint.name(), source);
    }

    private void startDriverExport(ListenAddress listen, String driverName, String source) {
        Entry entry = new Entry(new Export(listen, Target.parse(driverName), source, context, null), driverName, null);
        put(listen, entry);
        start(listen, entry);
    }

    /**
     * Starts an export of this table (under its lock). An export whose bind failed (its address is
     * in use, or not on this machine yet) tries again after 1, 2, 4, 8, 16 and then every 30 s
     * until it listens, stops, or its driver goes (a replacement starts it again).
     */
    private boolean start(ListenAddress listen, Entry entry) {
        cancelRetry(entry);
        boolean listening = entry.export.start();
        started(listen, entry.export);
        if (!listening && entry.export.bindFailed()) {
            try {
                entry.retry = context.timer().schedule(() -> retryBind(listen, entry), entry.export.nextBindWaitSeconds(),
                        TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // the registry is stopping: its exports with it
            }
        }
        return listening;
    }

    private synchronized void retryBind(ListenAddress listen, Entry entry) {
        entry.retry = null;
        if (exports.get(listen) == entry && entry.linger == null && !entry.export.snapshot().listening()) {
            start(listen, entry);
        }
    }

    private static void cancelRetry(Entry entry) {
        if (entry.retry != null) {
            entry.retry.cancel(false);
            entry.retry = null;
        }
    }

    /**
     * A driver came back with its export elsewhere: an export it left lingering for it stops now
     * (unless another driver of that name still asks for it), so that its address is free at once.
     */
    private void stopMovedAway(String driverName, ListenAddress now) {
        List<Map.Entry<ListenAddress, Entry>> left = exports.entrySet().stream()
                .filter(e -> driverName.equals(e.getValue().driverName) && e.getValue().linger != null && !e.getKey().equals(now))
                .map(e -> Map.entry(e.getKey(), e.getValue()))
                .toList();
        left.forEach(e -> expire(e.getKey(), e.getValue(), "driver '" + driverName + "' moved its export to " + now));
    }

    /** @return a driver named {@code driverName} that asks for an export on {@code listen} now, if any */
    private Optional<EndpointEntry> askingFor(String driverName, ListenAddress listen) {
        return context.endpointTable().all().stream()
                .filter(e -> driverName.equals(e.name()) && e.exportAddress().equals(Optional.of(listen)))
                .findFirst();
    }

    private void queue(ListenAddress listen, Claim claim) {
        List<Claim> claims = queued.computeIfAbsent(listen, k -> new ArrayList<>());
        claims.removeIf(claim::sameAs);
        claims.add(claim);
    }

    /** The export on {@code listen} stopped: the oldest claim still asked for takes the address. */
    private void startQueued(ListenAddress listen) {
        List<Claim> claims = queued.get(listen);
        while (claims != null && !claims.isEmpty() && !exports.containsKey(listen)) {
            Claim claim = claims.remove(0);
            if (claim.forwardPid() != null) {
                startForward(claim.forwardPid(), listen, claim.target(), claim.tlsAllow());
                continue;
            }
            askingFor(claim.driverName(), listen).ifPresent(e -> startDriverExport(listen, e.name(),
                    e.describe() + ", field '" + NetworkConstants.NETWORK_EXPORT + "'"));
        }
        if (claims != null && claims.isEmpty()) {
            queued.remove(listen);
        }
    }

    /**
     * The registry's configuration changed: exports that could not listen try again (a tls://
     * export configured before the registry's key and trust stores, an address refused before
     * insecure_exports was set). Exports that listen keep their listener.
     */
    synchronized void retryStopped() {
        exports.forEach((listen, entry) -> {
            if (!entry.export.snapshot().listening() && entry.linger == null) {
                start(listen, entry);
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
        entry.linger = context.timer().schedule(
                () -> expire(listen, entry, "no driver '" + entry.driverName + "' asks for it any more"), lingerMs,
                TimeUnit.MILLISECONDS);
    }

    private synchronized void expire(ListenAddress listen, Entry entry, String why) {
        if (exports.get(listen) != entry || entry.linger == null) {
            return;
        }
        entry.linger.cancel(false);
        entry.linger = null;
        if (askingFor(entry.driverName, listen).isPresent()) {
            return;
        }
        exports.remove(listen);
        removed(listen);
        cancelRetry(entry);
        entry.export.stop(why);
        startQueued(listen);
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
            LOG.warn("export {} not started: {}: {}; it starts when that export stops", listen, source, problem);
            queue(listen, new Claim(null, pid, target, tlsAllow));
            return problem;
        }
        return startForward(pid, listen, target, tlsAllow);
    }

    private String startForward(String pid, ListenAddress listen, Target target, java.util.Set<String> tlsAllow) {
        String source = "configuration " + pid + ", field '" + NetworkConstants.FORWARD_LISTEN + "'";
        Entry entry = new Entry(new Export(listen, target, source, context, tlsAllow), null, pid);
        put(listen, entry);
        return start(listen, entry) ? null : entry.export.snapshot().lastError().orElse("not listening");
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
        queued.values().forEach(claims -> claims.removeIf(c -> pid.equals(c.forwardPid())));
        queued.values().removeIf(List::isEmpty);
        List<ListenAddress> freed = new ArrayList<>();
        exports.entrySet().removeIf(e -> {
            if (pid.equals(e.getValue().forwardPid)) {
                cancelRetry(e.getValue());
                e.getValue().export.stop(why);
                removed(e.getKey());
                freed.add(e.getKey());
                return true;
            }
            return false;
        });
        freed.forEach(this::startQueued);
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
            cancelRetry(e);
            e.export.stop(why);
        }
        exports.keySet().forEach(this::removed);
        exports.clear();
        queued.clear();
    }
}
