package org.netdrivers.vsock.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.DriverRegistration;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One vsock endpoint per {@code org.netdrivers.vsock} factory configuration, as Jumpstarter's
 * VsockNetwork. Where the kernel has no AF_VSOCK or junixsocket's native part cannot load, it
 * registers nothing and says why in one line. No {@code @Modified}: a changed configuration
 * re-creates the component.
 */
@Component(configurationPid = NetworkConstants.PID_VSOCK, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = VsockConfig.class, factory = true)
public final class VsockDriver {
    private static final Logger LOG = LoggerFactory.getLogger(VsockDriver.class);

    private final DriverRegistration registration;

    @Activate
    public VsockDriver(BundleContext context, Map<String, Object> properties) {
        DriverRegistration registered = null;
        try {
            registered = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_VSOCK,
                    NetworkConstants.CLIENT_NETWORK, (config, common) -> {
                        VsockSettings settings = VsockSettings.read(config); // a bad configuration is named first
                        String unsupported = VsockFamily.unsupportedBecause();
                        if (unsupported != null) {
                            throw new Unavailable(common.describe() + " (" + settings.address() + ", " + common.pid()
                                    + ") not registered: " + unsupported);
                        }
                        try {
                            return VsockConnector.create(common, settings);
                        } catch (IOException e) {
                            throw new UncheckedIOException("cannot open a selector for vsock sockets", e);
                        }
                    });
        } catch (Unavailable e) {
            LOG.warn("{}", e.getMessage());
        }
        registration = registered;
    }

    /** AF_VSOCK cannot be used on this system: the driver registers nothing. */
    private static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }
}
