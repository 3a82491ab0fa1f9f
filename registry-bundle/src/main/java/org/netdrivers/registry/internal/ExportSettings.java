package org.netdrivers.registry.internal;

import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.netdrivers.io.IoThreads;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.KeepAlive;
import org.netdrivers.support.net.ReloadingTls;
import org.netdrivers.support.net.SocketBuffers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every export of the registry shares: the live drivers, the runtime's I/O threads, the
 * registry's one timer (the waits of hot swap and UDP sessions, export lingers), and the
 * registry's configuration, which a change applies to new connections.
 */
final class ExportSettings {
    private static final Logger LOG = LoggerFactory.getLogger(ExportSettings.class);
    private final EndpointTable endpoints;
    private final IoThreads io;
    private final ScheduledThreadPoolExecutor timer;
    /** The configuration as last applied, whole: its checked fields and what is made of them once. */
    private record Applied(RegistryConfig config, ReloadingTls tls, java.util.Set<String> tlsAllow, KeepAlive keepAlive) {
    }

    private volatile Applied applied;
    private volatile boolean configurationSeen;
    /** The acceptors of tcp:// and of tls:// exports, made at their first export; guarded by this. */
    private SharedAcceptor tcpAcceptor;
    private SharedAcceptor tlsAcceptor;
    private DatagramAcceptors udpAcceptors;
    /** The TLS context of the last configuration that had one: new tls:// connections get it. */
    private volatile ReloadingTls lastTls;

    ExportSettings(EndpointTable endpoints, IoThreads io) {
        this.endpoints = endpoints;
        this.io = io;
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "netdrivers-registry-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.scheduleWithFixedDelay(this::checkTlsFiles, ReloadingTls.CHECK_S, ReloadingTls.CHECK_S, TimeUnit.SECONDS);
        try {
            apply(new ConfigReader(Map.of("service.pid", NetworkConstants.PID_REGISTRY)));
        } catch (InvalidConfigurationException e) {
            throw new IllegalStateException("the registry's defaults are invalid: " + e.getMessage(), e);
        }
    }

    /** The registry's field for a UDP export's socket buffers. */
    static final String UDP_SOCKET_BUFFER_FIELD = "udp_socket_buffer_bytes";

    /**
     * Applies the registry's configuration: all of it, or nothing when a field is invalid.
     *
     * @throws InvalidConfigurationException naming the field and what is wrong
     */
    void apply(ConfigReader config) throws InvalidConfigurationException {
        RegistryConfig checked = config.read(RegistryConfig.class);
        SocketBuffers.check(config, checked.socket__buffer__bytes());
        SocketBuffers.check(config, UDP_SOCKET_BUFFER_FIELD, checked.udp__socket__buffer__bytes());
        ReloadingTls tls = Tls.context(config, checked);
        applied = new Applied(checked, tls, Tls.allowList(config, checked.tls__allow()), new KeepAlive(checked.keepalive(),
                checked.keepalive__idle__s(), checked.keepalive__interval__s(), checked.keepalive__count()));
        if (tls != null) {
            lastTls = tls;
        }
    }

    /**
     * A key or trust store file of the registry that changed on disk (a renewed certificate) is
     * loaded again: new tls:// connections get it, open ones go on as they began. A file that
     * cannot be used leaves the stores as they were, said once per change. Only the files of the
     * configuration in effect are watched: one without stores watches none.
     */
    private void checkTlsFiles() {
        Applied now = applied;
        ReloadingTls tls = now.tls();
        if (tls != null) {
            RegistryConfig c = now.config();
            tls.checkAndSay(LOG, "registry: tls_key_store '" + c.tls__key__store() + "' or tls_trust_store '"
                    + c.tls__trust__store() + "'", "new tls:// connections");
        }
    }

    /**
     * Whether the registry runs on a configuration of its own ({@code org.netdrivers.registry}),
     * not on its defaults. At a start, Config Admin may deliver it after drivers' configurations
     * (FileInstall creates them in the order it lists etc/, and a configuration with TLS stores
     * takes a moment to apply), so the exports of those drivers may start before it.
     */
    void configurationSeen(boolean seen) {
        configurationSeen = seen;
    }

    boolean configurationSeen() {
        return configurationSeen;
    }

    /** Ends the timer (waits still pending fail, lingers end) and releases the shared acceptors, UDP's too. */
    void close() {
        timer.shutdownNow();
        synchronized (this) {
            for (SharedAcceptor a : new SharedAcceptor[] {tcpAcceptor, tlsAcceptor}) {
                if (a != null) {
                    a.close();
                }
            }
            tcpAcceptor = null;
            tlsAcceptor = null;
            if (udpAcceptors != null) {
                udpAcceptors.close();
                udpAcceptors = null;
            }
        }
    }

    /**
     * The acceptors of the udp:// exports, as many as the I/O threads at most (their threads, of
     * {@code IoThreads.acceptorExecutor()}, run while one of their exports listens).
     */
    synchronized DatagramAcceptors udpAcceptors() {
        if (udpAcceptors == null) {
            int threads = io.processorsBusy().length;
            udpAcceptors = new DatagramAcceptors(io, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(),
                    this::udpIdleSeconds, this::udpSocketBufferBytes);
        }
        return udpAcceptors;
    }

    /** The one acceptor of every tcp:// export (its thread runs while one listens). */
    synchronized SharedAcceptor tcpAcceptor() {
        if (tcpAcceptor == null) {
            tcpAcceptor = new SharedAcceptor(io.processor(), socketBufferBytes(), null);
        }
        return tcpAcceptor;
    }

    /**
     * The one acceptor of every tls:// export. Its TLS filter takes the registry's key and trust
     * stores as they are when each connection comes; a configuration without stores leaves it the
     * ones it last had.
     */
    synchronized SharedAcceptor tlsAcceptor() {
        if (tlsAcceptor == null) {
            tlsAcceptor = new SharedAcceptor(io.processor(), socketBufferBytes(),
                    new org.netdrivers.support.mina.TlsFilter(() -> {
                        ReloadingTls tls = lastTls;
                        return tls == null ? null : tls.current();
                    }));
        }
        return tlsAcceptor;
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
        return applied.config().wait__ms();
    }

    /** Bound on bytes in flight per direction of one bridged connection. */
    int bufferBytes() {
        return applied.config().buffer__bytes();
    }

    /** SO_SNDBUF and SO_RCVBUF of accepted connections; 0 for the system's default. */
    int socketBufferBytes() {
        return applied.config().socket__buffer__bytes();
    }

    /** SO_SNDBUF and SO_RCVBUF of a UDP export's socket; 0 for the system's default. */
    int udpSocketBufferBytes() {
        return applied.config().udp__socket__buffer__bytes();
    }

    /** A UDP export's client session ends after this many seconds without a datagram either way. */
    int udpIdleSeconds() {
        return applied.config().udp__idle__timeout__s();
    }

    /** The TLS identity and trust of tls:// exports; null while no key store is configured. */
    javax.net.ssl.SSLContext tls() {
        ReloadingTls tls = applied.tls();
        return tls == null ? null : tls.current();
    }

    /** Client certificate subjects tls:// exports serve (normalised, RFC 2253); empty for any trusted client. */
    java.util.Set<String> tlsAllow() {
        return applied.tlsAllow();
    }

    /** Whether exports may listen in plain text on addresses other machines reach. */
    boolean insecureExports() {
        return applied.config().insecure__exports();
    }

    /** A TCP, TLS or Unix export's connection idle this many seconds is closed; 0: never. */
    int idleTimeoutSeconds() {
        return applied.config().idle__timeout__s();
    }

    /** TCP keepalive of a new TCP or TLS export connection. */
    KeepAlive keepAlive() {
        return applied.keepAlive();
    }

    /** Bound on open connections of one TCP or Unix export. */
    int maxConnections() {
        return applied.config().max__connections();
    }

    /** Connections the kernel queues for a TCP or Unix export before they are accepted. */
    int backlog() {
        return applied.config().backlog();
    }

    /** Bound on live client sessions of one UDP export. */
    int udpMaxSessions() {
        return applied.config().udp__max__sessions();
    }
}
