package org.netdrivers.support.driver;

import java.util.Hashtable;
import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.stream.Delays;
import org.netdrivers.support.stream.Retries;
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

    /**
     * The thread that makes the attempts of a configuration that may pass later (a name lookup
     * may block for seconds: not SCR's thread, not an I/O thread, not the delays' thread, which
     * only hands the due attempt over).
     */
    private static final java.util.concurrent.ThreadPoolExecutor RETRIES = Delays.oneThreadEndingWhenIdle("netdrivers-driver-retry");

    private final BundleContext context;
    private final Map<String, ?> properties;
    private final String type;
    private final String client;
    private final DriverFactory factory;

    /** The registered driver; null until an attempt succeeds. Guarded by this, as are deactivated, registering and next. */
    private Active active;
    private boolean deactivated;
    /** A later attempt is registering the service, and has not yet said whether it stays ({@link #deactivate} waits for it). */
    private boolean registering;
    /** How long a deactivation waits for a later attempt's registration under way to end. */
    private static final long REGISTERING_WAIT_MS = 5_000;
    /** The next attempt, while one is due: a deactivation cancels it. */
    private java.util.concurrent.ScheduledFuture<?> next;
    /**
     * Attempts that failed with a problem that may pass: only attempts use it, and attempts never
     * overlap (each schedules the next).
     */
    private final Retries attempts = new Retries();

    private record Active(DriverSettings settings, ManagedDriver driver, ServiceRegistration<NetworkInterface> registration,
            Published published) {
        void deactivate(String why) {
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
    }

    private DriverRegistration(BundleContext context, Map<String, ?> properties, String type, String client,
            DriverFactory factory) {
        this.context = context;
        this.properties = properties;
        this.type = type;
        this.client = client;
        this.factory = factory;
    }

    /**
     * Validates {@code properties} and registers the driver; for an invalid configuration logs one
     * WARN line naming the PID, the field and the problem, and returns null. A problem that may
     * pass without a change of configuration (a host name that does not resolve yet, at a boot
     * before the network) is logged as well, and the driver is registered once it passes: tried
     * again after 1, 2, 4, 8 and 16 s, then every {@value Retries#MAX_WAIT_S} s, until it does or the
     * component is deactivated.
     */
    public static DriverRegistration activate(BundleContext context, Map<String, ?> properties, String type, String client,
            DriverFactory factory) {
        DriverRegistration r = new DriverRegistration(context, properties, type, client, factory);
        return r.attempt() ? r : null;
    }

    /**
     * Registers the driver, or schedules the next attempt when the problem may pass. Not under
     * this lock while it registers: the service events go synchronously to the registry and SCR.
     *
     * @return false when the configuration is invalid for good (logged)
     */
    private boolean attempt() {
        synchronized (this) {
            if (deactivated) {
                return true;
            }
        }
        ConfigReader config = new ConfigReader(properties);
        DriverSettings settings;
        ManagedDriver driver;
        try {
            settings = DriverSettings.read(config, type);
            driver = factory.create(config, settings);
        } catch (InvalidConfigurationException e) {
            if (e.lasting()) {
                LOG.warn("{} driver not registered: {}", type, e.getMessage());
                return false;
            }
            // one line per field: the lookup's own words vary from one attempt to the next (the
            // JDK's cached answer names only the host)
            if (attempts.failed(e.field())) {
                LOG.warn("{} driver not registered yet: {}; it tries again, every {} s at most, until that passes or the"
                        + " configuration changes", type, e.getMessage(), Retries.MAX_WAIT_S);
            }
            long waitMs = attempts.nextWaitSeconds() * 1000;
            synchronized (this) {
                if (!deactivated) {
                    next = Delays.after(waitMs, () -> RETRIES.execute(this::attempt));
                }
            }
            return true;
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
        synchronized (this) {
            if (deactivated) {
                driver.dispose(new StreamClosedException(settings.describe() + " (" + settings.pid() + ") went away: deactivated"));
                return true;
            }
            registering = true;
        }
        try {
            return register(settings, driver, props);
        } finally {
            synchronized (this) {
                registering = false;
                notifyAll();
            }
        }
    }

    /** Registers the service; a deactivation that came meanwhile has it unregistered at once. */
    private boolean register(DriverSettings settings, ManagedDriver driver, Hashtable<String, Object> props) {
        Published published = new Published(props, driver);
        StatusTracker tracker = new StatusTracker(driver, published::updateLater);
        published.tracker = tracker;
        ServiceRegistration<NetworkInterface> reg;
        try {
            reg = context.registerService(NetworkInterface.class, tracker, props);
        } catch (IllegalStateException bundleStopping) {
            // a later attempt, after the bundle stopped (its deactivation comes, or came, through SCR)
            driver.dispose(new StreamClosedException(settings.describe() + " (" + settings.pid() + "): its bundle stopped"));
            return true;
        }
        published.registration = reg;
        driver.onAddressChange(published::updateLater);
        Active registered = new Active(settings, driver, reg, published);
        String after = attempts.succeeded();
        synchronized (this) {
            if (!deactivated) {
                active = registered;
                // the export is the registry's to start: its own line says whether it listens or why not
                LOG.info("{} up: {}{} ({}){}", settings.describe(), driver.describeAddress(),
                        settings.export().map(e -> ", export asked on " + e).orElse(""), settings.pid(), after);
                return true;
            }
        }
        // deactivated while a later attempt registered: it goes at once, before the deactivation returns
        registered.deactivate("deactivated while it registered");
        return true;
    }

    /**
     * The thread that publishes status changes: one, started when there is something to publish
     * and ended a second after, so that a stopped bundle keeps no thread. Not the common pool:
     * on two cores that is one thread, and anything else that holds it up (a slow task of
     * another bundle) held every status change up with it.
     */
    private static final java.util.concurrent.ThreadPoolExecutor PUBLISHER = Delays.oneThreadEndingWhenIdle("netdrivers-status");

    /**
     * The service properties that change while the driver is up: its address (the D-Bus driver's
     * follows the entry it reached, a TCP or UDP driver's what its host name resolves to) and its
     * status; set again only when one of them changed.
     */
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

    /**
     * Unregisters the service and closes its streams; {@code reason} is a DS deactivation reason
     * code. A driver not registered yet makes no further attempt; one that a later attempt is
     * registering right now is waited for (up to {@value #REGISTERING_WAIT_MS} ms), and gone when
     * this returns.
     */
    public void deactivate(int reason) {
        Active a;
        synchronized (this) {
            deactivated = true;
            if (next != null) {
                next.cancel(false);
            }
            // a later attempt registering now unregisters its service itself, seeing the deactivation:
            // wait for it, so that no service of this component outlives its deactivation
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(REGISTERING_WAIT_MS);
            long leftMs;
            while (registering && (leftMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0) {
                try {
                    wait(leftMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            a = active;
        }
        if (a != null) {
            a.deactivate(reasonText(reason));
        }
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
