package org.netdrivers.registry.internal;

import org.netdrivers.support.stream.QueuedStream;

/** What a listener does with each new client stream. */
@FunctionalInterface
interface Accepted {
    void accept(QueuedStream client, Object remote);
}
