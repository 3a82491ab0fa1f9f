package org.netdrivers.registry.internal;

/**
 * Where an export's connections come from: Mina for TCP, TLS and UDP ({@link MinaListener})
 * or a Unix server socket ({@link UnixListener}); each new client goes to its {@link Accepted}.
 */
interface Listener {
    /** Stops accepting and releases the listening socket (and, for Unix, its file). */
    void close();
}
