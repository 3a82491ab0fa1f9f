package org.netdrivers.support;

import java.util.Hashtable;
import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one driver service, shared by every driver component: validate the configuration,
 * register the {@link NetworkInterface} service with the common properties, and on deactivation
 * unregister it and close its streams with a reason that names the driver.
 *
 * <p>Drivers register their service themselves rather than through DS because {@code
 * network.address} is known only after validation and name resolution, and because a bad
 * configuration must register nothing at all and log one line, without a stack trace.
 */
public final class DriverRegistration {
    private static final Logger LOG = LoggerFactory.getLogger(DriverRegistration.class);

    private final DriverSettings settings;
    private final ManagedDriver driver;
    private final ServiceRegistration<NetworkInterface> registration;

    private DriverRegistration(DriverSettings settings, ManagedDriver driver, ServiceRegistration<NetworkInterface> registration) {
        this.settings = settings;
        this.driver = driver;
        this.registration = registration;
    }

    /**
     * Validates {@code properties} and registers the driver; for an invalid configuration logs one
     * WARN line naming the PID, the field and the problem, and returns null.
     */
    public static DriverRegistration activate(BundleContext context, Map<String, ?> properties, String type, String client,
            DriverFactory factory) {
        ConfigReader config = new ConfigReader(properties);
        DriverSettings settings;
        ManagedDriver driver;
        try {
            settings = DriverSettings.read(config, type);
            driver = factory.create(config, settings);
        } catch (InvalidConfigurationException e) {
            LOG.warn("{} driver not registered: {}", type, e.getMessage());
            return null;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        properties.forEach((k, v) -> {
            if (!k.startsWith("component.") && !k.startsWith(".") && v != null) {
                props.put(k, v);
            }
        });
        props.put(NetworkConstants.NETWORK_NAME, settings.name());
        props.put(NetworkConstants.NETWORK_TYPE, type);
        props.put(NetworkConstants.NETWORK_CLIENT, client);
        props.remove(NetworkConstants.NETWORK_EXPORT);
        settings.export().ifPresent(e -> props.put(NetworkConstants.NETWORK_EXPORT, e));
        driver.address().ifPresent(a -> props.put(NetworkConstants.NETWORK_ADDRESS, a));
        props.putAll(driver.extraProperties());
        ServiceRegistration<NetworkInterface> reg = context.registerService(NetworkInterface.class, driver, props);
        driver.onAddressChange(() -> updateAddress(reg, props, driver));
        LOG.info("{} up: {}{} ({})", settings.describe(), driver.describeAddress(),
                settings.export().map(e -> ", export " + e).orElse(""), settings.pid());
        return new DriverRegistration(settings, driver, reg);
    }

    private static void updateAddress(ServiceRegistration<NetworkInterface> reg, Hashtable<String, Object> props, ManagedDriver driver) {
        synchronized (props) {
            Object before = props.get(NetworkConstants.NETWORK_ADDRESS);
            String now = driver.address().orElse(null);
            if (now == null ? before == null : now.equals(before)) {
                return;
            }
            if (now == null) {
                props.remove(NetworkConstants.NETWORK_ADDRESS);
            } else {
                props.put(NetworkConstants.NETWORK_ADDRESS, now);
            }
            try {
                reg.setProperties(props);
            } catch (IllegalStateException gone) {
                // unregistered meanwhile
            }
        }
    }

    /** Unregisters the service and closes its streams; {@code reason} is a DS deactivation reason code. */
    public void deactivate(int reason) {
        String why = reasonText(reason);
        StreamClosedException gone = new StreamClosedException(settings.describe() + " (" + settings.pid() + ") went away: " + why);
        // first refuse new streams: whoever still holds this service (the registry hears of the
        // unregistration a moment later) fails fast and turns to the replacement
        driver.refuseNewStreams(gone);
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregistered it while stopping the bundle
        }
        driver.dispose(gone);
        LOG.info("{} down: {} ({})", settings.describe(), why, settings.pid());
    }

    /** The text of a DS deactivation reason (ComponentConstants.DEACTIVATION_REASON_*). */
    static String reasonText(int reason) {
        switch (reason) {
            case 1: return "component disabled";
            case 2: return "a required reference went away";
            case 3: return "configuration changed";
            case 4: return "configuration deleted";
            case 5: return "component disposed";
            case 6: return "bundle stopped or updated";
            default: return "deactivated";
        }
    }
}
