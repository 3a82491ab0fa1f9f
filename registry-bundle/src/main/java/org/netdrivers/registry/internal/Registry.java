package org.netdrivers.registry.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.ListenAddress;
import org.osgi.framework.Constants;
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
public final class Registry implements StreamRegistry, Forwards {
    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    private final EndpointTable endpoints = new EndpointTable();
    private final Jmx jmx = new Jmx();
    /** The exports' shared context: the drivers, the I/O threads, the timer, the configuration. */
    private final ExportSettings settings;
    private final ExportTable exports;
    private volatile boolean active;

    @Activate
    public Registry(@Reference IoThreads io, Map<String, Object> properties) {
        settings = new ExportSettings(endpoints, io);
        exports = new ExportTable(settings, jmx);
        configure(properties);
    }

    @Modified
    void configure(Map<String, Object> properties) {
        // SCR gives a configuration's service.pid only when the registry has a configuration of its own
        settings.configurationSeen(properties.containsKey(Constants.SERVICE_PID));
        try {
            settings.apply(new ConfigReader(properties));
            if (active) {
                exports.retryStopped();
            }
        } catch (InvalidConfigurationException e) {
            LOG.warn("registry keeps its previous settings: {}", e.getMessage());
        }
        if (!active) {
            active = true;
            endpoints.all().forEach(exports::driverAppeared);
            LOG.info("registry up: {} endpoints, wait {} ms, buffer {} bytes", endpoints.all().size(), settings.waitMs(),
                    settings.bufferBytes());
        }
    }

    @Deactivate
    void deactivate() {
        active = false;
        exports.stopAll("registry stopped");
        endpoints.failWaiters(new IllegalStateException("registry stopped"));
        settings.close();
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
        EndpointEntry entry = endpoints.add(ServiceView.of(ref), service);
        jmx.endpointAdded(entry);
        if (active) {
            exports.driverAppeared(entry);
        }
    }

    void unbindNetwork(ServiceReference<NetworkInterface> ref, NetworkInterface service) {
        EndpointEntry entry = endpoints.remove((Long) ref.getProperty(Constants.SERVICE_ID));
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
        EndpointEntry entry = endpoints.get((Long) ref.getProperty(Constants.SERVICE_ID));
        if (entry != null && !entry.identityChanged()) {
            endpoints.propertiesChanged(entry);
            return;
        }
        unbindNetwork(ref, service);
        bindNetwork(ref, service);
    }

    // ---- Forwards

    @Override
    public String addForward(String pid, ListenAddress listen, Target target, java.util.Set<String> tlsAllow) {
        return exports.addForward(pid, listen, target, tlsAllow);
    }

    @Override
    public void removeForward(String pid, String why) {
        exports.removeForward(pid, why);
    }

    @Override
    public CompletableFuture<Export> whenStarted(ListenAddress listen) {
        return exports.whenStarted(listen);
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
        return endpoints.open(target, settings.waitMs(), settings.timer());
    }
}
