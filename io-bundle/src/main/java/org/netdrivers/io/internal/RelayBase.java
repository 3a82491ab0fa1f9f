package org.netdrivers.io.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.netdrivers.io.Relay;

/** What both relays keep: how they ended, and the most they held for one direction. */
abstract class RelayBase implements Relay {
    private final CompletableFuture<Throwable> done = new CompletableFuture<>();
    private final AtomicLong peak = new AtomicLong();

    @Override
    public final CompletionStage<Throwable> done() {
        return done;
    }

    @Override
    public final long peakInFlight() {
        return peak.get();
    }

    /** One direction holds {@code bytes} read and not yet written. */
    protected final void holding(long bytes) {
        peak.accumulateAndGet(bytes, Math::max);
    }

    /** Both sides are closed: with null, or with the first failure. */
    protected final void ended(Throwable failure) {
        done.complete(failure);
    }
}
