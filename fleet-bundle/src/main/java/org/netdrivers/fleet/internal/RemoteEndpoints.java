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

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.driver.TrackingDriver;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Other runtimes' endpoints as local NetworkInterface services named RUNTIME/NAME. */
final class RemoteEndpoints implements Fleet.Remotes {
    /** Service property of a remote endpoint: the runtime that owns it. */
    static final String NETWORK_RUNTIME = "network.runtime";
    /** Service property of a remote endpoint: the owning runtime's fleet address. */
    static final String NETWORK_FLEET_ADDRESS = "network.fleet.address";

    private static final Logger LOG = LoggerFactory.getLogger(RemoteEndpoints.class);

    private final BundleContext context;
    private final FleetConnector connector;
    private final Map<String, ServiceRegistration<NetworkInterface>> registered = new HashMap<>(); // guarded by this
    private final Map<String, Remote> remotes = new HashMap<>(); // guarded by this
    /** Endpoints withdrawn while ZooKeeper did not answer, whose open streams go on until they end or the fleet stops. */
    private final java.util.List<Remote> withdrawn = new java.util.ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    /** Which remote endpoints are registered here (field use); null for all. */
    private final org.osgi.framework.Filter use;

    RemoteEndpoints(BundleContext context, FleetConnector connector, org.osgi.framework.Filter use) {
        this.context = context;
        this.use = use;
        this.connector = connector;
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
        ServiceRegistration<NetworkInterface> r = registered.get(full);
        if (r != null) {
            Remote remote = remotes.get(full);
            if (remote.record.equals(record)) {
                return; // the same data written again: nothing changed
            }
            remote.record = record; // new streams go where the record now says
            r.setProperties(props);
            LOG.info("Fleet: remote endpoint {} changed ({} {}, via {})", full, record.type(), record.address(), record.fleet());
            return;
        }
        Remote remote = new Remote(full, name, record, connector);
        remotes.put(full, remote);
        registered.put(full, context.registerService(NetworkInterface.class, remote, props));
        LOG.info("Fleet: remote endpoint {} up ({} {}, via {})", full, record.type(), record.address(), record.fleet());
    }

    @Override
    public synchronized void gone(String runtime, String name) {
        ServiceRegistration<NetworkInterface> r = registered.remove(runtime + "/" + name);
        if (r != null) {
            unregister(r);
            remotes.remove(runtime + "/" + name).gone(runtime + " no longer shares it (or left the fleet)");
            LOG.info("Fleet: remote endpoint {}/{} down", runtime, name);
        }
    }

    @Override
    public synchronized void unknown() {
        if (registered.isEmpty()) {
            return;
        }
        LOG.warn("Fleet: ZooKeeper has not answered for the session timeout: {} remote endpoint(s) withdrawn until it answers"
                + " (their open streams go on: they do not pass through ZooKeeper)", registered.size());
        registered.values().forEach(RemoteEndpoints::unregister);
        registered.clear();
        remotes.values().forEach(remote -> remote.refuseNewStreams(new StreamClosedException("fleet endpoint " + remote.full
                + " is withdrawn: ZooKeeper has not answered for the session timeout")));
        withdrawn.removeIf(remote -> remote.openStreams() == 0); // those of an earlier outage whose streams ended
        withdrawn.addAll(remotes.values());
        remotes.clear();
    }

    synchronized void close() {
        closed = true;
        withdrawn.forEach(remote -> remote.gone("the fleet stopped"));
        withdrawn.clear();
        registered.values().forEach(RemoteEndpoints::unregister);
        registered.clear();
        remotes.values().forEach(remote -> remote.gone("the fleet stopped"));
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
     * port; its streams close when the endpoint goes (as a driver's do).
     */
    private static final class Remote extends TrackingDriver {
        private final String full;
        private final String name;
        private volatile EndpointRecord record; // replaced when the owner publishes a change
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

        int openStreams() {
            return streams.size();
        }

        void gone(String why) {
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
