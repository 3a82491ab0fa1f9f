package org.netdrivers.registry.internal;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.EventCounter;
import org.netdrivers.io.IoThreads;
import org.netdrivers.io.Relay;
import org.netdrivers.io.TransportStream;
import org.netdrivers.support.stream.Bridge;
import org.netdrivers.support.stream.Completions;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.stream.QueuedStream;
import org.netdrivers.support.stream.Retries;
import org.netdrivers.support.mina.MinaTransports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener that bridges every accepted connection (TCP) or client session (UDP: one per client
 * address, datagram boundaries kept) to a new stream of the best driver matching its target,
 * waiting for one (boundedly) while none is registered. The transport differs; the bridging,
 * accounting and hot-swap waiting are the same.
 */
final class Export {
    private static final Logger LOG = LoggerFactory.getLogger(Export.class);

    private final ListenAddress listen;
    private final Target target;
    private final String source;
    private final ExportSettings context;
    /** Every live connection, by its client stream. */
    private final java.util.Map<QueuedStream, Connection> live = new ConcurrentHashMap<>();
    private final AtomicLong waitingDropped = new AtomicLong();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong relayedTotal = new AtomicLong();
    private final AtomicLong closedBytesIn = new AtomicLong();
    private final AtomicLong closedBytesOut = new AtomicLong();
    private final AtomicLong peakInFlight = new AtomicLong();
    private final AtomicLong closedDropped = new AtomicLong();
    /** Connections and UDP sessions refused at their bound: one WARN per 10 s at most. */
    private final EventCounter refused = new EventCounter(10_000, true);
    /** Clients the export closed (no driver in time, a driver's connect failed): one WARN per 10 s at most. */
    private final EventCounter closedByExport = new EventCounter(10_000, true);
    /** Datagrams a driver's stream refused (too large for its transport): one WARN per 10 s at most. */
    private final EventCounter refusedDatagrams = new EventCounter(10_000, true);
    /** Connections that ended with an error (a peer's reset): one INFO per 10 s at most. */
    private final EventCounter endedWithError = new EventCounter(10_000, true);
    private volatile Listener listener;
    /** A Unix export's idle check (TCP and TLS connections have Mina's idle time), once a second. */
    private volatile java.util.concurrent.ScheduledFuture<?> idleCheck;
    private volatile String lastError;
    /** Set by {@link #stop}, cleared by {@link #start}. */
    private volatile boolean stopped;
    /**
     * Whether the last {@link #start} failed to bind (an address in use, one this machine does not
     * have yet): the export table then tries again later. Not set for a refusal by the
     * configuration, which a change of configuration retries.
     */
    private volatile boolean bindFailed;
    /** The binds that failed since the export last listened (one WARN per reason); guarded by the export table's lock, under which start runs. */
    private final Retries binds = new Retries();
    /** A tls:// export's check that the registry's configuration came (see {@link #start}); null when none is due. */
    private java.util.concurrent.ScheduledFuture<?> configurationCheck; // guarded by this

    /**
     * How long a tls:// export started before the registry had a configuration of its own waits
     * for one before its failure to listen is a WARN (an INFO line says it at once).
     */
    static final int CONFIGURATION_GRACE_S = 10;

    /**
     * @param source who configured the export and which field, for messages: "configuration
     *     org.netdrivers.forward~x, field 'listen'"
     */
    /** Client subjects a tls:// export serves, normalised; null: the registry's tls_allow. */
    private final java.util.Set<String> tlsAllow;

    Export(ListenAddress listen, Target target, String source, ExportSettings context, java.util.Set<String> tlsAllow) {
        this.tlsAllow = tlsAllow;
        this.listen = listen;
        this.target = target;
        this.source = source;
        this.context = context;
    }

    ListenAddress listen() {
        return listen;
    }

    Target target() {
        return target;
    }

    String source() {
        return source;
    }

    /**
     * Binds the listener; on failure logs one line naming the source (a bind that fails again the
     * same way logs nothing) and returns false.
     */
    boolean start() {
        bindFailed = false;
        if (!listen.isLoopback() && !listen.isTls() && !context.insecureExports()) {
            lastError = "refused: " + listen + " is reachable from other machines, and plain text there is off"
                    + " (registry field insecure_exports)";
            LOG.warn("export {} not started: {}: it is not a loopback address, so any machine that reaches it would get the"
                    + " device in plain text; listen on 127.0.0.1 or ::1 and reach it over ssh or a VPN, or set insecure_exports"
                    + " = true in the registry's configuration (org.netdrivers.registry)", listen, source);
            return false;
        }
        stopped = false;
        try {
            listener = listen.isUnix()
                    ? UnixListener.bind(listen, context, clientStreamLimit(), this::accepted)
                    : MinaListener.bind(listen, context, tlsAllow, clientStreamLimit(), this::accepted, this::refused);
        } catch (IOException | RuntimeException e) {
            String why = Completions.rootMessage(e);
            lastError = "cannot listen on " + listen + ": " + why;
            if (listen.isTls() && context.tls() == null && !context.configurationSeen()) {
                // the registry runs on its defaults: its configuration, with the TLS stores, may still be on its way
                LOG.info("export {} waits for the registry's configuration: {}: {}; a WARN follows if none comes within {} s",
                        listen, source, why, CONFIGURATION_GRACE_S);
                checkConfigurationLater(why);
                return false;
            }
            bindFailed = true;
            if (binds.failed(why)) {
                LOG.warn("export {} not started: {}: cannot listen: {}; it tries again, every {} s at most", listen, source, why,
                        Retries.MAX_WAIT_S);
            }
            return false;
        }
        lastError = null;
        String after = binds.succeeded();
        if (listen.isUnix()) {
            idleCheck = context.timer().scheduleWithFixedDelay(() -> {
                long now = System.nanoTime();
                live.values().forEach(c -> c.closeIfIdle(now));
            }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
        if (!listen.isLoopback() && !listen.isTls()) {
            LOG.warn("export {} listens on a non-loopback address in plain text, unauthenticated, because insecure_exports"
                    + " is true ({}): anyone who reaches this machine reaches the device", listen, source);
        }
        LOG.info("export {} listening for '{}' ({}){}", listen, target, source, after);
        return true;
    }

    /**
     * In {@link #CONFIGURATION_GRACE_S} seconds: the WARN a tls:// export that cannot listen gets at
     * once when the registry has a configuration, unless one came meanwhile (its arrival retries the
     * export, which then listens, or says why not itself) or the export stopped.
     */
    private synchronized void checkConfigurationLater(String why) {
        if (configurationCheck != null) {
            return;
        }
        try {
            configurationCheck = context.timer().schedule(() -> {
                synchronized (this) {
                    configurationCheck = null;
                }
                if (!stopped && listener == null && !context.configurationSeen()) {
                    LOG.warn("export {} not started: {}: cannot listen: {}; no configuration of the registry came within {} s",
                            listen, source, why, CONFIGURATION_GRACE_S);
                }
            }, CONFIGURATION_GRACE_S, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the registry is stopping: its exports with it
        }
    }

    /**
     * What the client's stream may buffer: the bound less what the bridge may have sent on and
     * not yet seen accepted (its window and one chunk), so that the two together stay in bound.
     */
    private long clientStreamLimit() {
        return (long) context.bufferBytes() - Bridge.DEFAULT_WINDOW - MinaTransports.MAX_CHUNK;
    }

    /** Stops listening and closes every bridged connection. */
    /** @return whether the last {@link #start} failed to bind, so that trying again later may succeed */
    boolean bindFailed() {
        return bindFailed;
    }

    /** @return the seconds to wait before the next bind, by the binds that failed since the export last listened */
    long nextBindWaitSeconds() {
        return binds.nextWaitSeconds();
    }

    void stop(String why) {
        stopped = true;
        bindFailed = false;
        Listener l = listener;
        listener = null;
        java.util.concurrent.ScheduledFuture<?> check = idleCheck;
        if (check != null) {
            check.cancel(false);
        }
        if (l != null) {
            l.close();
            LOG.info("export {} stopped: {}", listen, why);
        }
        StreamClosedException reason = new StreamClosedException("export " + listen + " stopped: " + why);
        live.keySet().forEach(s -> s.close(reason));
    }

    /** A new connection (TCP, Unix) or client session (UDP); {@code remote} names the client. */
    private void accepted(QueuedStream client, Object remote) {
        int bound = listen.isUdp() ? context.udpMaxSessions() : context.maxConnections();
        if (open.get() >= bound) {
            failed.incrementAndGet();
            EventCounter.Due due = refused.count();
            if (due != null) {
                LOG.warn("export {}: {} of {} refused: {} are open, the bound ({}); {} refused in the last {} s, {} in all; "
                        + "further refusals within 10 s are counted, not logged", listen,
                        listen.isUdp() ? "session" : "connection", remote, open.get(),
                        listen.isUdp() ? "udp_max_sessions" : "max_connections", due.count(), due.seconds(), due.total());
            }
            client.close();
            return;
        }
        total.incrementAndGet();
        open.incrementAndGet();
        Connection connection = new Connection(client, remote, listen.isUnix() ? context.idleTimeoutSeconds() : 0);
        live.put(client, connection);
        client.closed().whenComplete((v, e) -> {
            if (idle(client.closeReason())) {
                endedWithError(remote, client.closeReason()); // the one line for it, relayed or bridged
            }
            connection.end();
            synchronized (live) { // a snapshot counts this connection once: live or closed
                live.remove(client);
                closedBytesIn.addAndGet(client.bytesIn());
                closedBytesOut.addAndGet(client.bytesOut());
                closedDropped.addAndGet(client.dropped());
                peakInFlight.accumulateAndGet(connection.peakInFlight(), Math::max);
            }
            open.decrementAndGet();
        });
        openDriverStream().whenComplete((driverStream, error) -> {
            if (error != null) {
                failed.incrementAndGet();
                closed(remote, Completions.rootMessage(error));
                client.close();
                return;
            }
            if (listen.isUdp()) {
                DatagramSession session = new DatagramSession(client, this::openDriverStream, why -> closed(remote, why),
                        why -> refusedByDriver(remote, why), waitingDropped);
                if (!connection.carriedBy(session)) {
                    driverStream.close(); // the client went away while it waited
                    return;
                }
                session.start(driverStream);
                return;
            }
            if (relayed(connection, driverStream)) {
                return;
            }
            Bridge bridge = new Bridge(client, driverStream, Bridge.DEFAULT_WINDOW, client::inFlight, () -> 0);
            if (!connection.carriedBy(Connection.Carrier.of(bridge))) {
                driverStream.close(); // the client went away while it waited
                return;
            }
            bridge.start().done().thenAccept(failure -> {
                if (failure != null && !idle(Completions.unwrap(failure))) {
                    endedWithError(remote, failure);
                }
            });
        });
    }

    /** A stream of the best driver for the target, waiting (within wait_ms) for one while none is registered. */
    private java.util.concurrent.CompletableFuture<ByteStream> openDriverStream() {
        return context.endpointTable().open(target, context.waitMs(), context.timer());
    }

    /**
     * Splices a connection with a driver's stream where the I/O thread that owns the one owns the
     * other (the driver connected from that thread): TCP to a TCP driver (Mina sessions), a Unix
     * path to a Unix driver (channels of one loop). Chunks then go from socket to socket on that
     * thread. Elsewhere (another transport, a connect that completed on another thread) the caller
     * bridges the two as streams.
     *
     * @return whether a relay carries the connection now
     */
    private boolean relayed(Connection connection, ByteStream driverStream) {
        QueuedStream client = connection.client;
        Object remote = connection.remote;
        ByteStream driver = EndpointEntry.unwrap(driverStream);
        if (!(client instanceof TransportStream) || !(driver instanceof TransportStream) || !connection.waiting()) {
            return false;
        }
        Optional<Relay> relay = context.io().relay((TransportStream) client, (TransportStream) driver, relayWindow());
        if (relay.isEmpty()) {
            return false;
        }
        EndpointEntry owner = EndpointEntry.ownerOf(driverStream);
        if (owner != null) {
            owner.relayed((TransportStream) driver);
        }
        connection.carriedBy(Connection.Carrier.of(relay.get())); // false only if the client closed meanwhile: its close ends the relay
        relayedTotal.incrementAndGet();
        relay.get().done().thenAccept(failure -> {
            if (failure != null && !idle(Completions.unwrap(failure))) {
                endedWithError(remote, failure);
            }
        });
        return true;
    }

    /** Whether a connection ended for its idle_timeout_s: said once, when its client stream closes. */
    private static boolean idle(Throwable why) {
        return why instanceof org.netdrivers.support.stream.IdleTimeoutException;
    }

    /** The listener turned a client away before it became a connection (TLS); counted as a failed connection. */
    private void refused(Object remote, String why) {
        failed.incrementAndGet();
        closed(remote, why);
    }

    /** The export closed a client ({@code why}); counted, and said in one WARN per 10 s at most. */
    private void closed(Object remote, String why) {
        EventCounter.Due due = closedByExport.count();
        if (due != null) {
            LOG.warn("export {}: {} client(s) closed in the last {} s (latest, {}: {}); {} in all; further ones within 10 s "
                    + "are counted, not logged", listen, due.count(), due.seconds(), remote, why, due.total());
        }
    }

    /**
     * The driver's stream refused a client's datagram (too large for the device's transport); it
     * is dropped and counted, and said in one WARN per 10 s at most.
     */
    private void refusedByDriver(Object remote, Throwable why) {
        EventCounter.Due due = refusedDatagrams.count();
        if (due != null) {
            LOG.warn("export {}: {} datagram(s) from clients dropped in the last {} s, refused by the driver (latest, from {}: {}); "
                    + "{} in all; the sessions go on", listen, due.count(), due.seconds(), remote, Completions.rootMessage(why),
                    due.total());
        }
    }

    /** A connection ended with an error (a peer reset it); counted, and said in one INFO per 10 s at most. */
    private void endedWithError(Object remote, Throwable failure) {
        EventCounter.Due due = endedWithError.count();
        if (due != null) {
            LOG.info("export {}: {} connection(s) ended with an error in the last {} s (latest, {}: {}); {} in all", listen,
                    due.count(), due.seconds(), remote, Completions.rootMessage(failure), due.total());
        }
    }

    /** A relay's bound per direction: what the export may hold, less the one read a relay may add. */
    private int relayWindow() {
        return Math.max(context.bufferBytes() - IoThreads.RELAY_CHUNK, IoThreads.RELAY_CHUNK);
    }

    /**
     * {@code entry}'s driver is going away (the registry hears it before the driver closes its
     * streams): the UDP client sessions on it send their next datagrams to the replacement.
     */
    void driverGoing(EndpointEntry entry) {
        for (Connection connection : live.values()) {
            connection.driverGoing(entry);
        }
    }

    StreamRegistry.Export snapshot() {
        long in;
        long out;
        long peak;
        long dropped;
        synchronized (live) {
            in = closedBytesIn.get();
            out = closedBytesOut.get();
            peak = peakInFlight.get();
            dropped = closedDropped.get() + waitingDropped.get();
            for (Connection c : live.values()) {
                dropped += c.client.dropped();
                in += c.client.bytesIn();
                out += c.client.bytesOut();
                peak = Math.max(peak, c.peakInFlight());
            }
        }
        return new ExportSnapshot(listen.toString(), target.toString(), source, listener != null, Optional.ofNullable(lastError),
                open.get(), total.get(), failed.get(), in, out, peak, context.bufferBytes(), dropped, relayedTotal.get());
    }

    record ExportSnapshot(String listen, String target, String source, boolean listening, Optional<String> lastError,
            long openConnections, long totalConnections, long failedConnections, long bytesIn, long bytesOut,
            long maxBytesInFlight, long inFlightLimit, long droppedMessages, long relayedConnections)
            implements StreamRegistry.Export {
    }
}
