package org.netdrivers.fleet.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import javax.management.JMException;
import javax.management.ObjectName;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.ReloadingTls;
import org.netdrivers.support.stream.Completions;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet, present while {@code org.netdrivers.fleet} is configured: publishes the local
 * endpoints that match {@code share}, and registers other runtimes' endpoints here. No
 * {@code @Modified}: a changed configuration re-creates the fleet (a new session). It serves this
 * runtime's shared endpoints on the fleet port ({@link FleetListener}) and opens other runtimes'
 * ({@link FleetConnector}); the port's counters are MBean {@value #MBEAN}.
 */
@Component(configurationPid = FleetComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        service = {})
@Designate(ocd = FleetConfig.class)
public final class FleetComponent {
    static final String PID = "org.netdrivers.fleet";
    static final String MBEAN = "org.netdrivers:type=Fleet";

    private static final Logger LOG = LoggerFactory.getLogger(FleetComponent.class);

    private final Fleet fleet;
    private final RemoteEndpoints remotes;
    private final ServiceTracker<NetworkInterface, AtomicReference<String>> shared;
    private final ScheduledExecutorService timer;
    private final FleetListener listener;
    private final FleetConnector connector;
    private final ObjectName mbean;
    private boolean stopped; // guarded by this

    @Activate
    public FleetComponent(BundleContext context, Map<String, Object> properties, @Reference(name = "io") IoThreads io,
            @Reference(name = "registry") StreamRegistry registry) throws InvalidSyntaxException {
        ConfigReader reader = new ConfigReader(properties);
        FleetSettings settings;
        try {
            settings = FleetSettings.read(reader);
        } catch (InvalidConfigurationException e) {
            LOG.warn("{}", e.getMessage());
            fleet = null;
            remotes = null;
            shared = null;
            timer = null;
            listener = null;
            connector = null;
            mbean = null;
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "netdrivers-fleet-timer");
            t.setDaemon(true);
            return t;
        });
        FleetListener port = new FleetListener(settings.listen(), io, settings.ssl()::current, settings.allow(), settings.share(),
                registry, timer);
        try {
            port.bind();
        } catch (IOException | RuntimeException e) {
            port.close();
            timer.shutdownNow();
            LOG.warn("{}; the fleet does not start", reader.invalid("listen", "cannot listen on " + settings.listen() + ": "
                    + Completions.rootMessage(e)).getMessage());
            fleet = null;
            remotes = null;
            shared = null;
            listener = null;
            connector = null;
            mbean = null;
            return;
        }
        listener = port;
        connector = new FleetConnector(io, settings.ssl()::current, settings.allow(), timer);
        timer.scheduleWithFixedDelay(() -> checkTlsFiles(settings, reader), ReloadingTls.CHECK_S, ReloadingTls.CHECK_S,
                java.util.concurrent.TimeUnit.SECONDS);
        remotes = new RemoteEndpoints(context, connector, settings.useFilter(), timer);
        fleet = new Fleet(settings.zookeeper(), settings.runtime(), settings.advertise(), settings.sessionTimeoutMs(), remotes);
        fleet.start();
        // local endpoints only: a remote one (network.runtime set) is never published again
        String filter = "(&(objectClass=" + NetworkInterface.class.getName() + ")(!(" + RemoteEndpoints.NETWORK_RUNTIME + "=*))"
                + settings.share() + ")"; // a Filter's text is its normalized form
        shared = new ServiceTracker<>(context, context.createFilter(filter), null) {
            @Override
            public AtomicReference<String> addingService(ServiceReference<NetworkInterface> ref) {
                String name = (String) ref.getProperty(NetworkConstants.NETWORK_NAME);
                if (name != null) {
                    fleet.publish(name, record(ref, settings.advertise()));
                }
                return new AtomicReference<>(name);
            }

            @Override
            public void modifiedService(ServiceReference<NetworkInterface> ref, AtomicReference<String> published) {
                String name = (String) ref.getProperty(NetworkConstants.NETWORK_NAME);
                String before = published.getAndSet(name);
                if (before != null && !before.equals(name)) {
                    fleet.unpublish(before); // renamed: the old node goes, the new name is published
                }
                if (name != null) {
                    fleet.publish(name, record(ref, settings.advertise()));
                }
            }

            @Override
            public void removedService(ServiceReference<NetworkInterface> ref, AtomicReference<String> published) {
                if (published.get() != null) {
                    fleet.unpublish(published.get());
                }
            }
        };
        shared.open();
        mbean = registerMBean(settings);
        LOG.info("Fleet: runtime {} on {} sharing {}, using {}, fleet port {} (mutual TLS), advertised as {}", settings.runtime(),
                settings.zookeeper(), settings.share(), settings.useFilter() == null ? "every remote endpoint" : settings.useFilter(),
                settings.listen(), settings.advertise());
        // an activation that ends while the framework or this bundle is stopping (its configuration came just
        // before a stop, and SCR's dispose did not wait for it): SCR does not deactivate such an instance,
        // so it ends its session, port and threads itself
        if ((context.getBundle(0).getState() & (Bundle.STOPPING | Bundle.RESOLVED)) != 0
                || (context.getBundle().getState() & (Bundle.STOPPING | Bundle.RESOLVED)) != 0) {
            LOG.info("Fleet: the runtime is stopping: the fleet stops at once");
            deactivate();
        }
    }

    /**
     * The fleet's key or trust store file changed on disk (a renewed certificate): loaded again, so
     * that new fleet connections, both ways, use it; open ones go on as they began. A file that
     * cannot be used leaves the stores as they were, said once per change.
     */
    private static void checkTlsFiles(FleetSettings settings, ConfigReader reader) {
        settings.ssl().checkAndSay(LOG, "Fleet: key_store or trust_store (" + reader.pid() + ")", "new fleet connections");
    }

    private ObjectName registerMBean(FleetSettings settings) {
        try {
            ObjectName name = new ObjectName(MBEAN);
            FleetListener port = listener;
            ManagementFactory.getPlatformMBeanServer().registerMBean(new FleetMXBean() {
                @Override
                public String getRuntime() {
                    return settings.runtime();
                }

                @Override
                public String getListen() {
                    return settings.listen().toString();
                }

                @Override
                public long getRefusedConnections() {
                    return port.refused();
                }

                @Override
                public long getServedConnections() {
                    return port.served();
                }

                @Override
                public boolean isZooKeeperConnected() {
                    return fleet.connected();
                }

                @Override
                public boolean isPublishing() {
                    return fleet.owner();
                }

                @Override
                public int getRemoteEndpoints() {
                    return remotes.registered();
                }
            }, name);
            return name;
        } catch (JMException e) {
            LOG.warn("{}: no MBean {}: {}", PID, MBEAN, e.toString());
            return null;
        }
    }

    @Deactivate
    synchronized void deactivate() {
        if (fleet != null && !stopped) {
            stopped = true;
            if (mbean != null) {
                try {
                    ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbean);
                } catch (JMException e) {
                    LOG.debug("MBean {}", mbean, e);
                }
            }
            shared.close();
            fleet.close();
            remotes.close();
            listener.close();
            connector.close();
            timer.shutdownNow();
            LOG.info("Fleet: stopped");
        }
    }

    private static EndpointRecord record(ServiceReference<?> ref, String fleetAddress) {
        return new EndpointRecord(string(ref, NetworkConstants.NETWORK_TYPE), string(ref, NetworkConstants.NETWORK_ADDRESS),
                string(ref, NetworkConstants.NETWORK_CLIENT), fleetAddress);
    }

    private static String string(ServiceReference<?> ref, String key) {
        Object v = ref.getProperty(key);
        return v == null ? "" : v.toString();
    }
}
