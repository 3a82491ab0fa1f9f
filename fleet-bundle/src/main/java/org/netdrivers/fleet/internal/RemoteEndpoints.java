package org.netdrivers.fleet.internal;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.driver.TrackingDriver;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Other runtimes' endpoints as local NetworkInterface services named RUNTIME/NAME.
 *
 * <p>An endpoint that goes from ZooKeeper (its node deleted, or ZooKeeper silent for the session
 * timeout) is unregistered at once, so no new stream starts there; its open streams are direct
 * TLS connections to the owner and go on: an owner that dies or unshares ends them itself. They
 * are closed after {@link #GRACE_MS} unless the endpoint comes back meanwhile with the same fleet
 * address, as when an owner's session was renewed after ZooKeeper was gone (its node deleted with
 * the old session and created at once with the new one), which then keeps them: a flap in
 * ZooKeeper cuts nothing, and the streams of an owner cut off from this runtime still end.
 */
final class RemoteEndpoints implements Fleet.Remotes {
    /** Service property of a remote endpoint: the runtime that owns it. */
    static final String NETWORK_RUNTIME = "network.runtime";
    /** Service property of a remote endpoint: the owning runtime's fleet address. */
    static final String NETWORK_FLEET_ADDRESS = "network.fleet.address";

    private static final Logger LOG = LoggerFactory.getLogger(RemoteEndpoints.class);
    /** How long the open streams of an endpoint gone from ZooKeeper wait for it to come back. */
    static final long GRACE_MS = 3000;

    private final BundleContext context;
    private final FleetConnector connector;
    /** The registered ones, each with its registration. */
    private final Map<String, Remote> remotes = new HashMap<>(); // guarded by this
    /** Unregistered ones whose open streams go on, until they come back or their grace ends. */
    private final Map<String, Remote> parked = new HashMap<>(); // guarded by this
    private boolean closed; // guarded by this

    /** Which remote endpoints are registered here (field use); null for all. */
    private final org.osgi.framework.Filter use;
    private final ScheduledExecutorService timer;

    RemoteEndpoints(BundleContext context, FleetConnector connector, org.osgi.framework.Filter use, ScheduledExecutorService timer) {
        this.context = context;
        this.use = use;
        this.connector = connector;
        this.timer = timer;
    }

    @Override
    public synchronized void appeared(String runtime, String name, EndpointRecord record) {
        if (closed) {
            return;
        }
        String full = runtime + "/" + name;
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(NetworkConstants.NETWORK_NAME, full);
        props.put(NETWORK_RUNTIME, runtime);
        props.put(NetworkConstants.NETWORK_TYPE, record.type());
        props.put(NetworkConstants.NETWORK_CLIENT, record.client());
        props.put(NETWORK_FLEET_ADDRESS, record.fleet());
        if (!record.address().isEmpty()) {
            props.put(NetworkConstants.NETWORK_ADDRESS, record.address());
        }
        if (use != null && !use.matches(props)) {
            gone(runtime, name); // if it was used before its properties changed
            return;
        }
        Remote registered = remotes.get(full);
        if (registered != null) {
            if (registered.record.equals(record)) {
                return; // the same data written again: nothing changed
            }
            registered.record = record; // new streams go where the record now says
            registered.registration.setProperties(props);
            LOG.info("Fleet: remote endpoint {} changed ({} {}, via {})", full, record.type(), record.address(), record.fleet());
            return;
        }
        Remote remote = parked.remove(full);
        if (remote != null && remote.record.fleet().equals(record.fleet()) && remote.unpark()) {
            // the same owner: its open streams stay
            remote.record = record;
        } else {
            if (remote != null) {
                remote.end("fleet endpoint " + full + " moved to " + record.fleet());
            }
            remote = new Remote(full, name, record, connector);
        }
        remote.registration = context.registerService(NetworkInterface.class, remote, props);
        remotes.put(full, remote);
        LOG.info("Fleet: remote endpoint {} up ({} {}, via {})", full, record.type(), record.address(), record.fleet());
    }

    @Override
    public synchronized void gone(String runtime, String name) {
        String full = runtime + "/" + name;
        Remote remote = remotes.remove(full);
        if (remote != null) {
            unregister(remote.registration);
            park(remote, runtime + " no longer shares it (or left the fleet)");
            LOG.info("Fleet: remote endpoint {} down", full);
        } else if (parked.containsKey(full)) {
            endAfterGrace(parked.get(full), runtime + " no longer shares it (or left the fleet)");
        }
    }

    @Override
    public synchronized void unknown() {
        if (remotes.isEmpty()) {
            return;
        }
        LOG.warn("Fleet: ZooKeeper has not answered for the session timeout: {} remote endpoint(s) withdrawn until it answers"
                + " (their open streams go on: they do not pass through ZooKeeper)", remotes.size());
        // no grace: what ZooKeeper says once it answers decides (back, or gone and then ended after the grace)
        remotes.values().forEach(remote -> {
            unregister(remote.registration);
            parked.put(remote.full, remote);
        });
        remotes.clear();
    }

    /** Unregistered: its open streams end after the grace unless it comes back. */
    private void park(Remote remote, String why) { // guarded by this
        Remote before = parked.put(remote.full, remote);
        if (before != null && before != remote) {
            before.end(why);
        }
        endAfterGrace(remote, why);
    }

    private void endAfterGrace(Remote remote, String why) { // guarded by this
        try {
            remote.endAt(timer.schedule(() -> expired(remote, why), GRACE_MS, TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            parked.remove(remote.full, remote);
            remote.end(why);
        }
    }

    private synchronized void expired(Remote remote, String why) {
        parked.remove(remote.full, remote);
        remote.end(why);
    }

    /** @return endpoints registered now */
    synchronized int registered() {
        return remotes.size();
    }

    synchronized void close() {
        closed = true;
        parked.values().forEach(remote -> remote.end("the fleet stopped"));
        parked.clear();
        remotes.values().forEach(remote -> {
            unregister(remote.registration);
            remote.end("the fleet stopped");
        });
        remotes.clear();
    }

    private static void unregister(ServiceRegistration<?> r) {
        try {
            r.unregister();
        } catch (IllegalStateException e) {
            // the bundle is stopping: the framework unregistered it already
        }
    }

    /**
     * An endpoint of another runtime: every stream is a mutual-TLS connection to the owner's fleet
     * port; its streams end when it is gone for good (the class comment), as a driver's do.
     */
    private static final class Remote extends TrackingDriver {
        private final String full;
        private final String name;
        private volatile EndpointRecord record; // replaced when the owner publishes a change
        /** Its service while it is registered; guarded by the RemoteEndpoints. */
        private ServiceRegistration<NetworkInterface> registration;
        private ScheduledFuture<?> ending; // guarded by this: the end of a parked endpoint's streams
        private boolean ended; // guarded by this
        private final FleetConnector connector;

        Remote(String full, String name, EndpointRecord record, FleetConnector connector) {
            this.full = full;
            this.name = name;
            this.record = record;
            this.connector = connector;
        }

        @Override
        public CompletionStage<ByteStream> connect() {
            EndpointRecord record = this.record;
            String describe = "fleet endpoint " + full + " via " + record.fleet();
            InetSocketAddress owner;
            try {
                URI uri = new URI(record.fleet());
                if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                    throw new URISyntaxException(record.fleet(), "not tcp://HOST:PORT");
                }
                String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
                owner = new InetSocketAddress(host, uri.getPort());
                if (owner.isUnresolved()) {
                    throw new URISyntaxException(record.fleet(), "host " + host + " does not resolve");
                }
            } catch (URISyntaxException e) {
                return CompletableFuture.failedFuture(new ConnectException(describe + ": the owner's fleet address is unusable: "
                        + e.getMessage()));
            }
            CompletableFuture<ByteStream> refused = refusedIfGoing();
            if (refused != null) {
                return refused;
            }
            CompletableFuture<ByteStream> result = new CompletableFuture<>();
            connector.open(owner, name, describe).whenComplete((stream, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(failure instanceof Exception e ? orGoingAway(e) : failure);
                } else {
                    handOut(stream, result);
                }
            });
            return result;
        }

        /** When its streams end, unless it is registered again before (see {@link #unpark}). */
        synchronized void endAt(ScheduledFuture<?> when) {
            if (ending != null) {
                ending.cancel(false);
            }
            ending = when;
        }

        /** @return false when it has ended already (its streams closed; a new one is made instead) */
        synchronized boolean unpark() {
            if (ending != null) {
                ending.cancel(false);
                ending = null;
            }
            return !ended;
        }

        /** Its streams end, and no new one starts. */
        void end(String why) {
            synchronized (this) {
                ended = true;
                if (ending != null) {
                    ending.cancel(false);
                }
            }
            StreamClosedException reason = new StreamClosedException("fleet endpoint " + full + " is gone: " + why);
            refuseNewStreams(reason);
            dispose(reason);
        }

        @Override
        public Optional<String> address() {
            return record.address().isEmpty() ? Optional.empty() : Optional.of(record.address());
        }

        @Override
        public String client() {
            return record.client();
        }
    }
}
