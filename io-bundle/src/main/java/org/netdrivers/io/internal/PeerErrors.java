package org.netdrivers.io.internal;

import org.netdrivers.io.EventCounter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections that a peer ended with an error (a reset, a broken pipe): counted, and summarised
 * in one INFO line at most once per interval. What a client does is never an ERROR line.
 */
final class PeerErrors {
    private static final Logger LOG = LoggerFactory.getLogger(PeerErrors.class);

    private final EventCounter counter;
    private final EventCounter refused;

    PeerErrors(long intervalMillis) {
        this.counter = new EventCounter(intervalMillis, false);
        this.refused = new EventCounter(intervalMillis, true);
    }

    /**
     * A peer ended a connection with {@code cause} ({@code what}: "read", "write"): a reset, or a
     * peer that stopped answering (Connection timed out: keepalive probes or retransmissions).
     */
    void count(String what, Object peer, Throwable cause) {
        EventCounter.Due due = counter.count();
        if (due != null) {
            LOG.info("{} connection(s) ended by their peer with an error in the last {} s (latest on {}, with {}: {}); {} in all",
                    due.count(), due.seconds(), what, peer,
                    cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName(), due.total());
        }
    }

    /**
     * A datagram to {@code destination} came back as ICMP port unreachable (nobody listens there,
     * for now), reported by the socket's next read or write ({@code what}).
     */
    void refused(Object destination, String what) {
        EventCounter.Due due = refused.count();
        if (due != null) {
            LOG.info("{} datagram(s) refused by their destination (port unreachable: nobody listens there) in the last {} s "
                    + "(latest to {}, reported by a {}); {} in all; the sessions go on",
                    due.count(), due.seconds(), destination, what, due.total());
        }
    }
}
