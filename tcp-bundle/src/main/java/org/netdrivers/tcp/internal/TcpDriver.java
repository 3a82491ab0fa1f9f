package org.netdrivers.tcp.internal;

import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.DriverRegistration;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One TCP endpoint per {@code org.netdrivers.tcp} factory configuration. No {@code @Modified}: a
 * changed configuration re-creates the component, closing the streams to the old address.
 */
@Component(configurationPid = NetworkConstants.PID_TCP, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = TcpConfig.class, factory = true)
public final class TcpDriver {
    private final DriverRegistration registration;

    @Activate
    public TcpDriver(BundleContext context, Map<String, Object> properties, @Reference IoThreads io) {
        registration = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_TCP,
                NetworkConstants.CLIENT_NETWORK,
                (config, common) -> TcpConnector.create(common, TcpSettings.read(config, common), io));
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }
}
