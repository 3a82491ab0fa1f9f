package org.netdrivers.support.driver;

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
    private final Published published;

    private DriverRegistration(DriverSettings settings, ManagedDriver driver, ServiceRegistration<NetworkInterface> registration,
            Published published) {
        this.published = published;
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
        java.util.List<String> unknown = config.undeclared();
        if (!unknown.isEmpty()) {
            LOG.warn("{} ({}): unknown field(s) '{}' ignored; a key with a dot outside network. (such as lab.bench) is a"
                    + " service property for LDAP targets", settings.describe(), settings.pid(), String.join("', '", unknown));
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
        props.put(NetworkConstants.NETWORK_STATUS, NetworkConstants.STATUS_IDLE);
        props.putAll(driver.extraProperties());
        Published published = new Published(props, driver);
        StatusTracker tracker = new StatusTracker(driver, published::updateLater);
        published.tracker = tracker;
        ServiceRegistration<NetworkInterface> reg = context.registerService(NetworkInterface.class, tracker, props);
        published.registration = reg;
        driver.onAddressChange(published::updateLater);
        // the export is the registry's to start: its own line says whether it listens or why not
        LOG.info("{} up: {}{} ({})", settings.describe(), driver.describeAddress(),
                settings.export().map(e -> ", export asked on " + e).orElse(""), settings.pid());
        return new DriverRegistration(settings, driver, reg, published);
    }

    /**
     * The service properties that change while the driver is up: its address (the D-Bus driver's
     * follows the entry it reached) and its status; set again only when one of them changed.
     */
    /**
     * The thread that publishes status changes: one, started when there is something to publish
     * and ended a second after, so that a stopped bundle keeps no thread. Not the common pool:
     * on two cores that is one thread, and anything else that holds it up (a slow task of
     * another bundle) held every status change up with it.
     */
    private static final java.util.concurrent.ThreadPoolExecutor PUBLISHER = new java.util.concurrent.ThreadPoolExecutor(
            0, 1, 1, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "netdrivers-status");
                t.setDaemon(true);
                return t;
            });

    private static final class Published {
        private final Hashtable<String, Object> props;
        private final ManagedDriver driver;
        volatile StatusTracker tracker;
        volatile ServiceRegistration<NetworkInterface> registration;

        private final java.util.concurrent.atomic.AtomicBoolean scheduled = new java.util.concurrent.atomic.AtomicBoolean();

        Published(Hashtable<String, Object> props, ManagedDriver driver) {
            this.props = props;
            this.driver = driver;
        }

        /**
         * Publishes the change from another thread: the caller is often a transport's I/O thread
         * (a connect completing), and setProperties delivers service events synchronously to
         * whoever listens (the registry, SCR), which must never hold up I/O. Changes that come
         * while one is scheduled are covered by it: update() reads the state when it runs.
         */
        void updateLater() {
            if (scheduled.compareAndSet(false, true)) {
                PUBLISHER.execute(() -> {
                    scheduled.set(false);
                    update();
                });
            }
        }

        private boolean stopped; // guarded by props

        /** No update after this returns (one under way finishes first). */
        void stop() {
            synchronized (props) {
                stopped = true;
            }
        }

        void update() {
            ServiceRegistration<NetworkInterface> reg = registration;
            if (reg == null) {
                return; // a change before registration is in the initial properties
            }
            synchronized (props) {
                if (stopped) {
                    return;
                }
                boolean changed = put(NetworkConstants.NETWORK_ADDRESS, driver.address().orElse(null));
                changed |= put(NetworkConstants.NETWORK_STATUS, tracker.status());
                changed |= put(NetworkConstants.NETWORK_LAST_ERROR, tracker.lastError());
                if (changed) {
                    try {
                        reg.setProperties(props);
                    } catch (IllegalStateException gone) {
                        // unregistered meanwhile
                    }
                }
            }
        }

        private boolean put(String key, Object value) {
            Object before = props.get(key);
            if (java.util.Objects.equals(before, value)) {
                return false;
            }
            if (value == null) {
                props.remove(key);
            } else {
                props.put(key, value);
            }
            return true;
        }
    }

    /** Unregisters the service and closes its streams; {@code reason} is a DS deactivation reason code. */
    public void deactivate(int reason) {
        String why = reasonText(reason);
        StreamClosedException gone = new StreamClosedException(settings.describe() + " (" + settings.pid() + ") went away: " + why);
        // first refuse new streams: whoever still holds this service (the registry hears of the
        // unregistration a moment later) fails fast and turns to the replacement
        driver.refuseNewStreams(gone);
        // no property change from here on: a MODIFIED event racing with the unregistration made
        // listeners (SCR's reference tracking) take the service up again after they had let it go
        published.stop();
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
