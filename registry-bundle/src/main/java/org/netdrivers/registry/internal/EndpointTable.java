package org.netdrivers.registry.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.stream.Completions;

/** The live driver services, and callers waiting for one that matches. */
final class EndpointTable {
    /** By service.id. */
    private final Map<Long, EndpointEntry> entries = new ConcurrentHashMap<>();
    private final List<Waiter> waiters = new ArrayList<>();

    private record Waiter(Target target, CompletableFuture<EndpointEntry> future) {
    }

    EndpointEntry add(ServiceView ref, NetworkInterface service) {
        EndpointEntry entry = new EndpointEntry(ref, service);
        entries.put(ref.id(), entry);
        wake(entry);
        return entry;
    }

    /** The entry's service properties changed: a waiter whose filter matches now gets a driver. */
    void propertiesChanged(EndpointEntry entry) {
        wake(entry);
    }

    private void wake(EndpointEntry entry) {
        ServiceView ref = entry.ref;
        List<Waiter> ready = new ArrayList<>();
        synchronized (waiters) {
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.future.isDone()) {
                    it.remove();
                } else if (w.target.matches(ref)) {
                    it.remove();
                    ready.add(w);
                }
            }
        }
        // the best match may be another entry than the new one
        for (Waiter w : ready) {
            w.future.complete(best(w.target).orElse(entry));
        }
    }

    EndpointEntry get(long serviceId) {
        return entries.get(serviceId);
    }

    EndpointEntry remove(long serviceId) {
        EndpointEntry e = entries.remove(serviceId);
        if (e != null) {
            e.gone();
        }
        return e;
    }

    /**
     * Opens a stream to the best driver matching {@code target}, waiting up to {@code waitMs} for
     * one to be registered. When the chosen driver goes away before the stream is handed out (a
     * hot swap), the stream is closed before any byte went through it and the next driver is
     * tried, within the same bound. Fails with {@link NoSuchElementException} when no driver
     * appeared in time, or as the driver's connect failed.
     */
    CompletableFuture<ByteStream> open(Target target, long waitMs, ScheduledExecutorService timer) {
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        attempt(target, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs), waitMs, timer, result);
        return result;
    }

    private void attempt(Target target, long deadline, long waitMs, ScheduledExecutorService timer,
            CompletableFuture<ByteStream> result) {
        long remainingMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        await(target, remainingMs, timer).whenComplete((entry, notFound) -> {
            if (notFound != null) {
                // no driver in time, or the registry stops (failWaiters): no second attempt
                Throwable cause = Completions.unwrap(notFound);
                result.completeExceptionally(cause instanceof TimeoutException ? new NoSuchElementException(waitMs == 0
                        ? "no driver matches '" + target + "'"
                        : "no driver matching '" + target + "' appeared within " + waitMs + " ms") : cause);
                return;
            }
            entry.open().thenApply(stream -> {
                if (entry.gone) {
                    stream.close();
                    throw new CompletionException(entry.goneWhileConnecting());
                }
                return stream;
            }).whenComplete((stream, error) -> {
                if (error == null) {
                    result.complete(stream);
                    return;
                }
                Throwable cause = Completions.unwrap(error);
                long remainingNs = deadline - System.nanoTime();
                if (!(cause instanceof StreamClosedException) || remainingNs <= 0) {
                    result.completeExceptionally(cause);
                    return;
                }
                // the driver is going away (it refuses new streams), and the registry may not have
                // heard yet: try again once it lets the driver go, within the same bound
                ScheduledFuture<?> bound;
                try {
                    bound = timer.schedule(() -> result.completeExceptionally(cause), remainingNs, TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    result.completeExceptionally(cause); // the registry stops
                    return;
                }
                entry.whenGone().thenRun(() -> {
                    if (bound.cancel(false)) {
                        attempt(target, deadline, waitMs, timer, result);
                    }
                });
            });
        });
    }

    List<EndpointEntry> all() {
        return new ArrayList<>(entries.values());
    }

    /** The best entry matching {@code target}: highest service.ranking, then lowest service.id. */
    Optional<EndpointEntry> best(Target target) {
        EndpointEntry best = null;
        for (EndpointEntry e : entries.values()) {
            if (target.matches(e.ref) && (best == null || ServiceView.BEST_FIRST.compare(e.ref, best.ref) < 0)) {
                best = e;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The best entry matching {@code target} now, or the first to appear within {@code waitMs};
     * completes exceptionally with {@link TimeoutException} otherwise.
     */
    CompletableFuture<EndpointEntry> await(Target target, long waitMs, ScheduledExecutorService timer) {
        CompletableFuture<EndpointEntry> future = new CompletableFuture<>();
        synchronized (waiters) {
            Optional<EndpointEntry> now = best(target);
            if (now.isPresent()) {
                future.complete(now.get());
                return future;
            }
            if (waitMs <= 0) {
                future.completeExceptionally(new TimeoutException("no driver matches '" + target + "'"));
                return future;
            }
            waiters.add(new Waiter(target, future));
        }
        timer.schedule(() -> future.completeExceptionally(new TimeoutException(
                "no driver matching '" + target + "' appeared within " + waitMs + " ms")), waitMs, TimeUnit.MILLISECONDS);
        return future;
    }

    /** Fails every waiter (the registry is stopping). */
    void failWaiters(Throwable reason) {
        List<Waiter> copy;
        synchronized (waiters) {
            copy = new ArrayList<>(waiters);
            waiters.clear();
        }
        copy.forEach(w -> w.future.completeExceptionally(reason));
    }
}
