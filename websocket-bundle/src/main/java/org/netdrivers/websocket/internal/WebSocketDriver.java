package org.netdrivers.websocket.internal;

import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.DriverRegistration;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/** One WebSocket endpoint per {@code org.netdrivers.websocket} factory configuration (the JDK's java.net.http.WebSocket). */
@Component(configurationPid = NetworkConstants.PID_WEBSOCKET, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = WebSocketConfig.class, factory = true)
public final class WebSocketDriver {
    private final DriverRegistration registration;

    @Activate
    public WebSocketDriver(BundleContext context, Map<String, Object> properties) {
        registration = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_WEBSOCKET,
                NetworkConstants.CLIENT_NETWORK,
                (config, common) -> new WebSocketConnector(common, WebSocketSettings.read(config)));
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }
}
