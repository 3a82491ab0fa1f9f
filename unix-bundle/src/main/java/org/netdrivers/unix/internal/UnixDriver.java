package org.netdrivers.unix.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.DriverRegistration;
import org.netdrivers.support.net.SocketBuffers;
import org.netdrivers.support.unix.UnixAddress;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/** One Unix-domain socket endpoint per {@code org.netdrivers.unix} factory configuration. */
@Component(configurationPid = NetworkConstants.PID_UNIX, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = UnixConfig.class, factory = true)
public final class UnixDriver {
    private final DriverRegistration registration;

    @Activate
    public UnixDriver(BundleContext context, Map<String, Object> properties, @Reference IoThreads io) {
        registration = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_UNIX,
                NetworkConstants.CLIENT_NETWORK, (config, common) -> {
                    UnixConfig c = config.read(UnixConfig.class);
                    UnixAddress address;
                    try {
                        address = UnixAddress.of(c.path());
                    } catch (IllegalArgumentException e) {
                        throw config.invalid(UnixConfig.PATH, e.getMessage());
                    }
                    int socketBuffer = SocketBuffers.check(config, c.socket__buffer__bytes());
                    try {
                        return UnixConnector.create(common, address, c.buffer__bytes(), socketBuffer, io);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot open a selector for Unix sockets", e);
                    }
                });
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }
}
