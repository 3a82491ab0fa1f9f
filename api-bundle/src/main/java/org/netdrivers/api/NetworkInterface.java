package org.netdrivers.api;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One network resource of a device, registered as an OSGi service by a driver bundle: one service
 * per factory configuration.
 *
 * <p>Every service carries the properties {@link NetworkConstants#NETWORK_NAME}, {@link
 * NetworkConstants#NETWORK_TYPE} and {@link NetworkConstants#NETWORK_CLIENT}; {@link
 * NetworkConstants#NETWORK_ADDRESS} when address mode is enabled; {@link
 * NetworkConstants#NETWORK_EXPORT} when the configuration asks for an export. A service is only
 * registered for a valid configuration.
 */
@ProviderType
public interface NetworkInterface {

    /**
     * Opens a new, independent stream to the resource. Every call is a new connection.
     *
     * <p>The stage completes with the open stream, or exceptionally with an {@link
     * java.io.IOException} whose message names the resource (host and port, path, URL) and the
     * cause: refused, timed out, unreachable. The stage never completes with {@code null}. Once
     * the service is unregistered, the stage completes exceptionally with a {@link
     * StreamClosedException}.
     *
     * @return a stage completing with a new open stream
     */
    CompletionStage<ByteStream> connect();

    /**
     * Where the resource is, as a URI string: {@code tcp://127.0.0.1:5201}, {@code
     * tcp://[::1]:8080}, {@code tcp://[fe80::1%25eth0]:22} (the zone of a link-local address is
     * kept, its {@code %} escaped as {@code %25} as in RFC 6874), {@code udp://...}, {@code
     * unix:/path}, {@code vsock://3:1024}, {@code ws://...}. Host names are resolved to an IP
     * address when the driver is configured.
     *
     * @return the address, or empty when address mode is disabled ({@code enable_address=false});
     *     see {@link #describeAddress()} for text that says so
     */
    Optional<String> address();

    /**
     * The address for people: {@link #address()} when enabled, otherwise a sentence saying that
     * address mode is disabled for this endpoint.
     *
     * @return never {@code null}
     */
    default String describeAddress() {
        return address().orElse("address mode disabled (enable_address=false)");
    }

    /**
     * The fully qualified name of the Jumpstarter client class for this driver, such as {@code
     * jumpstarter_driver_network.client.NetworkClient}.
     *
     * @return never {@code null}
     */
    String client();
}
