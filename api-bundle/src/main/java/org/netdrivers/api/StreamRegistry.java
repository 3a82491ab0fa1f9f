package org.netdrivers.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Finds the {@link NetworkInterface} services of the framework, opens streams to them and runs the
 * exports (listeners that bridge every accepted connection to a new stream).
 *
 * <p>Where several services match, the best one is chosen as OSGi orders services: highest {@code
 * service.ranking}, then lowest {@code service.id}.
 */
@ProviderType
public interface StreamRegistry {

    /** @return a snapshot of every endpoint currently registered, ordered by name */
    List<Endpoint> endpoints();

    /**
     * @param name a {@link NetworkConstants#NETWORK_NAME}
     * @return the best endpoint of that name, if one is registered
     */
    Optional<Endpoint> endpoint(String name);

    /** @return a snapshot of every export (from {@code network.export} and forward configurations) */
    List<Export> exports();

    /**
     * Opens a stream to the best endpoint whose {@link NetworkConstants#NETWORK_NAME} is {@code
     * name}. While none is registered (a driver being replaced, a configuration not yet read) it
     * waits up to the registry's {@code wait_ms}; the stage then completes exceptionally with
     * {@link java.util.NoSuchElementException}. A driver that goes away while the stream is being
     * opened is replaced by the next match within the same bound. Otherwise the stage completes
     * as {@link NetworkInterface#connect()} does. Streams opened here are counted in {@link
     * Endpoint} statistics.
     *
     * @param name the endpoint name
     * @return a stage completing with a new open stream
     */
    CompletionStage<ByteStream> open(String name);

    /**
     * Opens a stream to the best endpoint matching an LDAP filter over its service properties,
     * such as {@code (&(network.type=tcp)(network.name=dut*))}, waiting as {@link #open(String)}
     * does. The stage completes exceptionally with {@link IllegalArgumentException} for an invalid
     * filter and with {@link java.util.NoSuchElementException} when nothing matches in time.
     *
     * @param filter an LDAP filter
     * @return a stage completing with a new open stream
     */
    CompletionStage<ByteStream> openMatching(String filter);

    /** A snapshot of one endpoint and its traffic counters. */
    @ProviderType
    interface Endpoint {
        /** @return {@link NetworkConstants#NETWORK_NAME} */
        String name();

        /** @return {@link NetworkConstants#NETWORK_TYPE} */
        String type();

        /** @return {@link NetworkInterface#describeAddress()} */
        String address();

        /** @return the {@link NetworkConstants#NETWORK_EXPORT} property, if set */
        Optional<String> export();

        /** @return every service property, as an unmodifiable map */
        java.util.Map<String, Object> properties();

        /** @return streams currently open through the registry */
        long openStreams();

        /** @return streams opened through the registry since the service appeared */
        long totalStreams();

        /** @return bytes received from the resource through the registry */
        long bytesIn();

        /** @return bytes sent to the resource through the registry */
        long bytesOut();
    }

    /** A snapshot of one export. */
    @ProviderType
    interface Export {
        /** @return the listen address, as configured */
        String listen();

        /** @return the target: a name or an LDAP filter */
        String target();

        /** @return where the export was configured: a forward PID or the driver's network.name */
        String source();

        /** @return whether the listener is bound */
        boolean listening();

        /** @return the last error of this export (bind failure, connect failure), if any */
        Optional<String> lastError();

        /** @return connections currently bridged */
        long openConnections();

        /** @return connections accepted since the export started */
        long totalConnections();

        /** @return connections closed without a stream (no driver in time, connect failed, UDP session bound reached) */
        long failedConnections();

        /** @return bytes from clients towards the driver */
        long bytesIn();

        /** @return bytes from the driver towards clients */
        long bytesOut();

        /** @return the highest number of bytes held in flight by one bridged connection, in either direction */
        long maxBytesInFlight();

        /** @return the configured bound on bytes in flight per direction of one connection */
        long inFlightLimit();

        /**
         * @return datagrams a UDP export dropped (0 for TCP): a session's consumer was behind, too many
         *     waited for a driver, or the driver refused one (too large for the device's transport)
         */
        long droppedMessages();

        /**
         * @return connections of {@link #totalConnections()} that an I/O thread relayed socket to
         *         socket (the connection and the driver's socket on one thread) rather than
         *         bridged as streams
         * @since 1.2
         */
        long relayedConnections();
    }
}
