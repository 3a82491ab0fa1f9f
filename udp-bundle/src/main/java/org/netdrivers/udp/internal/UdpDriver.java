package org.netdrivers.udp.internal;

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
 * One UDP endpoint per {@code org.netdrivers.udp} factory configuration, as Jumpstarter's
 * UdpNetwork. No {@code @Modified}: a changed configuration re-creates the component.
 */
@Component(configurationPid = NetworkConstants.PID_UDP, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = UdpConfig.class, factory = true)
public final class UdpDriver {
    private final DriverRegistration registration;

    @Activate
    public UdpDriver(BundleContext context, Map<String, Object> properties, @Reference IoThreads io) {
        registration = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_UDP,
                NetworkConstants.CLIENT_NETWORK,
                (config, common) -> UdpConnector.create(common, UdpSettings.read(config, common), io));
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }
}
