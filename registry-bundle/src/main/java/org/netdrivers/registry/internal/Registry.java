package org.netdrivers.registry.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.stream.Collectors;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.SocketBuffers;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tracks every {@link NetworkInterface}, opens streams to them and runs the exports. */
@Component(configurationPid = NetworkConstants.PID_REGISTRY, immediate = true,
        service = {StreamRegistry.class, Forwards.class})
@Designate(ocd = RegistryConfig.class)
public final class Registry implements StreamRegistry, Forwards, ExportContext {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    private final EndpointTable endpoints = new EndpointTable();
    private final ScheduledThreadPoolExecutor timer;
    private final Jmx jmx = new Jmx();
    private final ExportTable exports = new ExportTable(this, jmx);
    private volatile long waitMs = RegistryConfig.DEFAULT_WAIT_MS;
    private volatile int bufferBytes = RegistryConfig.DEFAULT_BUFFER_BYTES;
    private volatile int udpIdleSeconds = RegistryConfig.DEFAULT_UDP_IDLE_TIMEOUT_S;
    private volatile int udpMaxSessions = RegistryConfig.DEFAULT_UDP_MAX_SESSIONS;
    private volatile int socketBufferBytes;
    private volatile boolean active;
    @Reference
    private IoThreads io;

    public Registry() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "netdrivers-registry-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        ConfigReader config = new ConfigReader(properties);
        try {
            waitMs = config.intInRange(RegistryConfig.WAIT_MS, 0, 3_600_000, RegistryConfig.DEFAULT_WAIT_MS);
            bufferBytes = config.intInRange(RegistryConfig.BUFFER_BYTES, RegistryConfig.MIN_BUFFER_BYTES, 1 << 30, RegistryConfig.DEFAULT_BUFFER_BYTES);
            udpIdleSeconds = config.intInRange(RegistryConfig.UDP_IDLE_TIMEOUT_S, 1, 86_400, RegistryConfig.DEFAULT_UDP_IDLE_TIMEOUT_S);
            udpMaxSessions = config.intInRange(RegistryConfig.UDP_MAX_SESSIONS, 1, 1_000_000, RegistryConfig.DEFAULT_UDP_MAX_SESSIONS);
            socketBufferBytes = SocketBuffers.read(config);
        } catch (InvalidConfigurationException e) {
            LOG.warn("registry keeps its previous settings: {}", e.getMessage());
        }
        if (!active) {
            active = true;
            endpoints.all().forEach(exports::driverAppeared);
            LOG.info("registry up: {} endpoints, wait {} ms, buffer {} bytes", endpoints.all().size(), waitMs, bufferBytes);
        }
    }

    @Deactivate
    void deactivate() {
        active = false;
        exports.stopAll("registry stopped");
        endpoints.failWaiters(new IllegalStateException("registry stopped"));
        timer.shutdownNow();
        LOG.info("registry down");
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindNetwork(ServiceReference<NetworkInterface> ref, NetworkInterface service) {
        if (ref.getBundle() == null) {
            // unregistered already: a late MODIFIED event can make a service tracker take a service up
            // again after it let it go; such an entry would win every open and refuse it
            return;
        }
        EndpointEntry entry = endpoints.add(ref, service);
        jmx.endpointAdded(entry);
        if (active) {
            exports.driverAppeared(entry);
        }
    }

    void unbindNetwork(ServiceReference<NetworkInterface> ref, NetworkInterface service) {
        EndpointEntry entry = endpoints.remove(ref);
        if (entry != null) {
            jmx.endpointRemoved(entry);
        }
        if (entry != null && active) {
            exports.driverGoing(entry);
            exports.driverGone(entry);
        }
    }

    /**
     * A driver's properties changed. Only a changed name or export makes it a different endpoint
     * (taken down and up again); any other change (the D-Bus driver's network.address follows the
     * bus address it reached) keeps the endpoint, its statistics and its export as they are.
     */
    void updatedNetwork(ServiceReference<NetworkInterface> ref, NetworkInterface service) {
        EndpointEntry entry = endpoints.get(ref);
        if (entry != null && !entry.identityChanged()) {
            endpoints.propertiesChanged(entry);
            return;
        }
        unbindNetwork(ref, service);
        bindNetwork(ref, service);
    }

    // ---- ExportContext

    @Override
    public EndpointTable endpointTable() {
        return endpoints;
    }

    @Override
    public IoThreads io() {
        return io;
    }

    @Override
    public ScheduledExecutorService timer() {
        return timer;
    }

    @Override
    public long waitMs() {
        return waitMs;
    }

    @Override
    public int bufferBytes() {
        return bufferBytes;
    }

    @Override
    public int socketBufferBytes() {
        return socketBufferBytes;
    }

    @Override
    public int udpIdleSeconds() {
        return udpIdleSeconds;
    }

    @Override
    public int udpMaxSessions() {
        return udpMaxSessions;
    }

    // ---- Forwards

    @Override
    public String addForward(String pid, ListenAddress listen, Target target) {
        return exports.addForward(pid, listen, target);
    }

    @Override
    public void removeForward(String pid, String why) {
        exports.removeForward(pid, why);
    }

    // ---- StreamRegistry

    @Override
    public List<Endpoint> endpoints() {
        return endpoints.all().stream().map(EndpointEntry::snapshot)
                .sorted(Comparator.comparing(Endpoint::name)).collect(Collectors.toList());
    }

    @Override
    public Optional<Endpoint> endpoint(String name) {
        return endpoints.best(Target.parse(name)).map(EndpointEntry::snapshot);
    }

    @Override
    public List<Export> exports() {
        return exports.snapshot();
    }

    @Override
    public CompletionStage<ByteStream> open(String name) {
        if (name == null || name.isBlank() || name.trim().startsWith("(")) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("not a network.name: \"" + name + "\""));
        }
        return openBest(Target.parse(name));
    }

    @Override
    public CompletionStage<ByteStream> openMatching(String filter) {
        Target target;
        try {
            target = Target.parse(filter.trim().startsWith("(") ? filter : "(" + filter + ")");
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return openBest(target);
    }

    private CompletionStage<ByteStream> openBest(Target target) {
        return endpoints.open(target, waitMs, timer);
    }
}
