package org.netdrivers.registry.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.SocketBuffers;

/**
 * What every export of the registry shares: the live drivers, the runtime's I/O threads, the
 * registry's one timer (the waits of hot swap and UDP sessions, export lingers), and the
 * registry's configuration, which a change applies to new connections.
 */
final class ExportSettings {
    private final EndpointTable endpoints;
    private final IoThreads io;
    private final ScheduledThreadPoolExecutor timer;
    private volatile long waitMs = RegistryConfig.DEFAULT_WAIT_MS;
    private volatile int bufferBytes = RegistryConfig.DEFAULT_BUFFER_BYTES;
    private volatile int udpIdleSeconds = RegistryConfig.DEFAULT_UDP_IDLE_TIMEOUT_S;
    private volatile int udpMaxSessions = RegistryConfig.DEFAULT_UDP_MAX_SESSIONS;
    private volatile int socketBufferBytes;

    ExportSettings(EndpointTable endpoints, IoThreads io) {
        this.endpoints = endpoints;
        this.io = io;
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "netdrivers-registry-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Applies the registry's configuration: all of it, or nothing when a field is invalid.
     *
     * @throws InvalidConfigurationException naming the field and what is wrong
     */
    void apply(ConfigReader config) throws InvalidConfigurationException {
        long wait = config.intInRange(RegistryConfig.WAIT_MS, 0, 3_600_000, RegistryConfig.DEFAULT_WAIT_MS);
        int buffer = config.intInRange(RegistryConfig.BUFFER_BYTES, RegistryConfig.MIN_BUFFER_BYTES, 1 << 30,
                RegistryConfig.DEFAULT_BUFFER_BYTES);
        int idle = config.intInRange(RegistryConfig.UDP_IDLE_TIMEOUT_S, 1, 86_400, RegistryConfig.DEFAULT_UDP_IDLE_TIMEOUT_S);
        int sessions = config.intInRange(RegistryConfig.UDP_MAX_SESSIONS, 1, 1_000_000, RegistryConfig.DEFAULT_UDP_MAX_SESSIONS);
        int socketBuffers = SocketBuffers.read(config);
        waitMs = wait;
        bufferBytes = buffer;
        udpIdleSeconds = idle;
        udpMaxSessions = sessions;
        socketBufferBytes = socketBuffers;
    }

    /** Ends the timer: waits still pending fail, lingers end. */
    void close() {
        timer.shutdownNow();
    }

    EndpointTable endpointTable() {
        return endpoints;
    }

    /** The runtime's I/O threads: TCP listeners use their processors, and relays splice on them. */
    IoThreads io() {
        return io;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** How long a new connection waits for a matching driver. */
    long waitMs() {
        return waitMs;
    }

    /** Bound on bytes in flight per direction of one bridged connection. */
    int bufferBytes() {
        return bufferBytes;
    }

    /** SO_SNDBUF and SO_RCVBUF of accepted connections; 0 for the system's default. */
    int socketBufferBytes() {
        return socketBufferBytes;
    }

    /** A UDP export's client session ends after this many seconds without a datagram either way. */
    int udpIdleSeconds() {
        return udpIdleSeconds;
    }

    /** Bound on live client sessions of one UDP export. */
    int udpMaxSessions() {
        return udpMaxSessions;
    }
}
