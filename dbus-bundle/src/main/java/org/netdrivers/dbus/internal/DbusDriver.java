package org.netdrivers.dbus.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverRegistration;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One D-Bus bus per {@code org.netdrivers.dbus} factory configuration, as Jumpstarter's
 * {@code DbusNetwork}: streams are raw connections to the bus socket.
 */
@Component(configurationPid = NetworkConstants.PID_DBUS, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = DbusConfig.class, factory = true)
public final class DbusDriver {
    static final String SYSTEM_DEFAULT = "unix:path=/run/dbus/system_bus_socket";

    private final DriverRegistration registration;

    @Activate
    public DbusDriver(BundleContext context, Map<String, Object> properties, @Reference IoThreads io) {
        registration = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_DBUS,
                NetworkConstants.CLIENT_DBUS, (config, common) -> {
                    DbusConfig c = config.read(DbusConfig.class);
                    List<DbusAddress> addresses = addresses(config, c.kind(), System.getenv());
                    try {
                        return DbusConnector.create(common, c.kind(), addresses, c.enable__address(), c.connect__timeout__ms(),
                                c.buffer__bytes(), io);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot open a selector for the D-Bus driver", e);
                    }
                });
    }

    /** The address list: the {@code address} field, else the kind's environment variable, else the kind's default. */
    static List<DbusAddress> addresses(ConfigReader config, String kind, Map<String, String> env) throws InvalidConfigurationException {
        if (!kind.equals("system") && !kind.equals("session")) {
            throw config.invalid(DbusConfig.KIND, "'" + kind + "' is not a bus kind (system or session)");
        }
        String explicit = config.optionalString(DbusConfig.ADDRESS, null);
        String field;
        String text;
        if (explicit != null) {
            field = DbusConfig.ADDRESS;
            text = explicit;
        } else if (kind.equals("system")) {
            field = DbusConfig.KIND;
            text = env.getOrDefault("DBUS_SYSTEM_BUS_ADDRESS", SYSTEM_DEFAULT);
        } else {
            field = DbusConfig.KIND;
            text = env.get("DBUS_SESSION_BUS_ADDRESS");
            if (text == null || text.isBlank()) {
                String runtime = env.get("XDG_RUNTIME_DIR");
                if (runtime == null || runtime.isBlank()) {
                    throw config.invalid(DbusConfig.KIND, "the session bus is unknown: neither DBUS_SESSION_BUS_ADDRESS nor"
                            + " XDG_RUNTIME_DIR is set in the runtime's environment; set address");
                }
                text = "unix:path=" + DbusAddress.escape(runtime + "/bus");
            }
        }
        try {
            return DbusAddress.parseList(text, env);
        } catch (IllegalArgumentException e) {
            throw config.invalid(field, (field.equals(DbusConfig.KIND) ? "the " + kind + " bus address from the environment: " : "")
                    + e.getMessage());
        }
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }
}
