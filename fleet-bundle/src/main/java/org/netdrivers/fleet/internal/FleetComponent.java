package org.netdrivers.fleet.internal;

import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet, present while {@code org.netdrivers.fleet} is configured: publishes the local
 * endpoints that match {@code share}, and registers other runtimes' endpoints here. No
 * {@code @Modified}: a changed configuration re-creates the fleet (a new session).
 */
@Component(configurationPid = FleetComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        service = {})
@Designate(ocd = FleetConfig.class)
public final class FleetComponent {
    static final String PID = "org.netdrivers.fleet";

    private static final Logger LOG = LoggerFactory.getLogger(FleetComponent.class);

    private final Fleet fleet;
    private final RemoteEndpoints remotes;
    private final ServiceTracker<NetworkInterface, String> shared;

    @Activate
    public FleetComponent(BundleContext context, Map<String, Object> properties) throws InvalidSyntaxException {
        ConfigReader reader = new ConfigReader(properties);
        FleetSettings settings;
        try {
            settings = FleetSettings.read(reader);
        } catch (InvalidConfigurationException e) {
            LOG.warn("{}", e.getMessage());
            fleet = null;
            remotes = null;
            shared = null;
            return;
        }
        remotes = new RemoteEndpoints(context);
        fleet = new Fleet(settings.zookeeper(), settings.runtime(), settings.sessionTimeoutMs(), remotes);
        fleet.start();
        // local endpoints only: a remote one (network.runtime set) is never published again
        String filter = "(&(objectClass=" + NetworkInterface.class.getName() + ")(!(" + RemoteEndpoints.NETWORK_RUNTIME + "=*))"
                + settings.share() + ")";
        shared = new ServiceTracker<>(context, context.createFilter(filter), null) {
            @Override
            public String addingService(ServiceReference<NetworkInterface> ref) {
                String name = (String) ref.getProperty(NetworkConstants.NETWORK_NAME);
                if (name != null) {
                    fleet.publish(name, record(ref, settings.advertise()));
                }
                return name;
            }

            @Override
            public void modifiedService(ServiceReference<NetworkInterface> ref, String name) {
                fleet.publish(name, record(ref, settings.advertise())); // a changed name: not handled in the spike
            }

            @Override
            public void removedService(ServiceReference<NetworkInterface> ref, String name) {
                fleet.unpublish(name);
            }
        };
        shared.open();
        LOG.info("Fleet: runtime {} on {} sharing {}, advertised as {}", settings.runtime(), settings.zookeeper(),
                settings.share(), settings.advertise());
    }

    @Deactivate
    void deactivate() {
        if (fleet != null) {
            shared.close();
            fleet.close();
            remotes.close();
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
