package org.netdrivers.registry.internal;

import org.netdrivers.io.Relay;
import org.netdrivers.support.stream.Bridge;
import org.netdrivers.support.stream.QueuedStream;

/**
 * One client of an export, from its accept to its end: an accepted TCP or Unix connection, or a
 * UDP client session. It waits for a driver stream; then a {@link Carrier} carries its bytes: a
 * relay on one I/O thread, a bridge between two streams, or a datagram session.
 */
final class Connection {
    /** What carries a connection's bytes once its driver stream is there. */
    interface Carrier {
        /** @return the most bytes it held for one direction */
        long peakInFlight();

        /** {@code entry}'s driver is going away (only a datagram session moves to the replacement). */
        default void driverGoing(EndpointEntry entry) {
        }

        static Carrier of(Relay relay) {
            return relay::peakInFlight;
        }

        static Carrier of(Bridge bridge) {
            return () -> Math.max(bridge.peakInFlightAtoB(), bridge.peakInFlightBtoA());
        }
    }

    final QueuedStream client;
    /** Who the client is, for messages: its socket address, or "unix client N". */
    final Object remote;
    private Carrier carrier; // guarded by this; null while the connection waits for its driver
    private boolean ended; // guarded by this

    /** idle_timeout_s as it was when the connection came, where the export checks it (Unix); 0: none. */
    private final int idleSeconds;
    private long lastActivity; // the idle check's own (one timer thread)
    private long quietSinceNanos;

    Connection(QueuedStream client, Object remote, int idleSeconds) {
        this.client = client;
        this.remote = remote;
        this.idleSeconds = idleSeconds;
        this.quietSinceNanos = System.nanoTime();
    }

    /**
     * Closes the client's stream when no byte went either way (its counts, which a relay keeps
     * live, stood still) for its idle time; called once a second by the export's timer.
     */
    void closeIfIdle(long nowNanos) {
        if (idleSeconds <= 0) {
            return;
        }
        long activity = client.bytesIn() + client.bytesOut();
        if (activity != lastActivity) {
            lastActivity = activity;
            quietSinceNanos = nowNanos;
        } else if (nowNanos - quietSinceNanos >= idleSeconds * 1_000_000_000L) {
            client.close(new org.netdrivers.support.stream.IdleTimeoutException(client + ": closed after " + idleSeconds
                    + " s without a byte either way (idle_timeout_s)"));
        }
    }

    /**
     * The driver stream is there and {@code c} carries the connection from now on.
     *
     * @return false when the client went away while it waited (the caller closes the driver stream)
     */
    synchronized boolean carriedBy(Carrier c) {
        if (ended) {
            return false;
        }
        carrier = c;
        return true;
    }

    /** The client's stream closed: the connection is over. */
    synchronized void end() {
        ended = true;
    }

    synchronized boolean waiting() {
        return carrier == null && !ended;
    }

    void driverGoing(EndpointEntry entry) {
        Carrier c;
        synchronized (this) {
            c = carrier;
        }
        if (c != null) {
            c.driverGoing(entry);
        }
    }

    /** @return the most bytes held for this connection in either direction: by the client's stream or its carrier */
    long peakInFlight() {
        Carrier c;
        synchronized (this) {
            c = carrier;
        }
        return Math.max(client.peakInFlight(), c == null ? 0 : c.peakInFlight());
    }
}
