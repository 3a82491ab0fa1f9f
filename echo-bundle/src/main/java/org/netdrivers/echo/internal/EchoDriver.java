package org.netdrivers.echo.internal;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.DriverRegistration;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.TrackingDriver;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/** One echo endpoint per {@code org.netdrivers.echo} factory configuration. */
@Component(configurationPid = NetworkConstants.PID_ECHO, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = EchoConfig.class, factory = true)
public final class EchoDriver {
    private final DriverRegistration registration;

    @Activate
    public EchoDriver(BundleContext context, Map<String, Object> properties) {
        registration = DriverRegistration.activate(context, properties, NetworkConstants.TYPE_ECHO,
                NetworkConstants.CLIENT_NETWORK,
                (config, common) -> new Echo(common, config.read(EchoConfig.class).buffer__bytes()));
    }

    @Deactivate
    void deactivate(int reason) {
        if (registration != null) {
            registration.deactivate(reason);
        }
    }

    /** The service object: every connect() is a new in-memory echo stream. */
    static final class Echo extends TrackingDriver {
        private final DriverSettings settings;
        private final long limit;

        Echo(DriverSettings settings, long limit) {
            this.settings = settings;
            this.limit = limit;
        }

        @Override
        public CompletionStage<ByteStream> connect() {
            CompletableFuture<ByteStream> result = refusedIfGoing();
            if (result == null) {
                result = new CompletableFuture<>();
                handOut(new EchoStream(settings.describe(), limit), result);
            }
            return result;
        }

        @Override
        public Optional<String> address() {
            return Optional.of("echo:" + settings.name());
        }

    }
}
