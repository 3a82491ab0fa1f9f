package org.netdrivers.registry.internal;

import java.util.concurrent.ScheduledExecutorService;

/** What an export needs from the registry. */
interface ExportContext {
    EndpointTable endpointTable();

    /** The runtime's I/O threads: TCP listeners use their processors, and relays splice on them. */
    org.netdrivers.io.IoThreads io();

    ScheduledExecutorService timer();

    /** How long a new connection waits for a matching driver. */
    long waitMs();

    /** Bound on bytes in flight per direction of one bridged connection. */
    int bufferBytes();

    /** SO_SNDBUF and SO_RCVBUF of accepted connections; 0 for the system's default. */
    int socketBufferBytes();

    /** A UDP export's client session ends after this many seconds without a datagram either way. */
    int udpIdleSeconds();

    /** Bound on live client sessions of one UDP export. */
    int udpMaxSessions();
}
