package org.netdrivers.registry.internal;

import java.util.concurrent.ScheduledExecutorService;

/** What an export needs from the registry. */
interface ExportContext {
    EndpointTable endpointTable();

    ScheduledExecutorService timer();

    /** How long a new connection waits for a matching driver. */
    long waitMs();

    /** Bound on bytes in flight per direction of one bridged connection. */
    int bufferBytes();
}
