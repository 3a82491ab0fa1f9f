package org.netdrivers.registry.internal;

import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.ListenAddress;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One export per {@code org.netdrivers.forward} factory configuration. */
@Component(configurationPid = NetworkConstants.PID_FORWARD, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = ForwardConfig.class, factory = true)
public final class ForwardComponent {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardComponent.class);

    private final Forwards forwards;
    private final String pid;
    private final boolean started;

    @Activate
    public ForwardComponent(@Reference Forwards forwards, Map<String, Object> properties) {
        this.forwards = forwards;
        ConfigReader config = new ConfigReader(properties);
        this.pid = config.pid();
        boolean ok = false;
        try {
            ForwardConfig c = config.read(ForwardConfig.class);
            Target target;
            try {
                target = Target.parse(c.target());
            } catch (IllegalArgumentException e) {
                throw config.invalid(NetworkConstants.FORWARD_TARGET, e.getMessage());
            }
            ListenAddress listen;
            try {
                listen = ListenAddress.parse(c.listen());
            } catch (IllegalArgumentException e) {
                throw config.invalid(NetworkConstants.FORWARD_LISTEN, e.getMessage());
            }
            if (properties.get("mode") != null) { // unix:/path only; else the listen address's own
                try {
                    listen = listen.withMode(c.mode());
                } catch (IllegalArgumentException e) {
                    throw config.invalid("mode", e.getMessage());
                }
            }
            java.util.Set<String> tlsAllow = null; // the registry's
            if (c.tls__allow().length > 0) {
                if (!listen.isTls()) {
                    throw config.invalid("tls_allow", "applies to a tls:// listen address; " + listen + " is not one");
                }
                tlsAllow = Tls.allowList(config, c.tls__allow());
            }
            forwards.addForward(pid, listen, target, tlsAllow);
            ok = true;
        } catch (InvalidConfigurationException e) {
            LOG.warn("forward not started: {}", e.getMessage());
        }
        this.started = ok;
    }

    @Deactivate
    void deactivate() {
        if (started) {
            forwards.removeForward(pid, "configuration " + pid + " removed or changed");
        }
    }
}
