package org.netdrivers.registry.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.netdrivers.api.ByteStream;
import org.netdrivers.support.stream.QueuedStream;
import org.netdrivers.support.stream.Completions;

/**
 * One client of a UDP export, bridged datagram by datagram to a stream of its driver, and kept
 * across a hot swap: when the registry hears that the driver goes away, the client's next
 * datagrams wait (at most {@link #MAX_PENDING}) for the replacement, while answers still arriving
 * on the old stream (the driver lets its streams drain a moment before it closes them) are
 * delivered; then the waiting datagrams go to the new stream, in order. A TCP or Unix connection
 * cannot be carried over like this (its bytes belong to one connection); a datagram can.
 */
final class DatagramSession implements Connection.Carrier {
    static final int MAX_PENDING = 256;
    /** Replacements in a row that fail the waiting datagrams end the session (a driver whose streams fail at once). */
    static final int MAX_FAILED_REPLACEMENTS = 5;

    private final QueuedStream client;
    private final Supplier<CompletableFuture<ByteStream>> opener;
    private final Consumer<String> onEnd;
    private final Consumer<Throwable> onRefused;
    private final AtomicLong dropped;

    // guarded by this
    private ByteStream current; // null while waiting for a driver
    private boolean opening;
    private boolean closed;
    private int failedReplacements; // in a row
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();

    /**
     * @param opener opens a stream of the best driver, waiting (boundedly) for one
     * @param onEnd told once why the session ended, when it was not the client's going away
     * @param onRefused told of each datagram the driver's stream refused (too large for its transport)
     * @param dropped counts datagrams dropped because too many waited for a driver, or refused
     */
    DatagramSession(QueuedStream client, Supplier<CompletableFuture<ByteStream>> opener, Consumer<String> onEnd,
            Consumer<Throwable> onRefused, AtomicLong dropped) {
        this.client = client;
        this.opener = opener;
        this.onEnd = onEnd;
        this.onRefused = onRefused;
        this.dropped = dropped;
    }

    /** Datagrams are not held here beyond the {@link #MAX_PENDING} that wait for a driver: the client's stream counts what it holds. */
    @Override
    public long peakInFlight() {
        return 0;
    }

    void start(ByteStream first) {
        synchronized (this) {
            current = first;
        }
        fromDriver(first);
        fromClient();
    }

    /** The registry heard that {@code entry}'s driver is going away: new datagrams wait for the replacement. */
    @Override
    public void driverGoing(EndpointEntry entry) {
        synchronized (this) {
            if (closed || current == null || EndpointEntry.ownerOf(current) != entry) {
                return;
            }
            current = null; // the old stream stays open for the answers on their way, until its driver closes it
        }
        openReplacement();
    }

    private void fromClient() {
        receiveLoop(client, this::fromClient);
    }

    /**
     * Receives from {@code source} until {@code onChunk} says stop, without recursion when
     * receives complete at once: while no driver is there, a client's stream may hold thousands of
     * small datagrams, each taken at once.
     *
     * @param onChunk given each result (a chunk, the end, or an error); true: receive the next now
     */
    private static void receiveLoop(ByteStream source, java.util.function.BiPredicate<Optional<ByteBuffer>, Throwable> onChunk) {
        while (true) {
            CompletableFuture<Optional<ByteBuffer>> next = source.receive().toCompletableFuture();
            if (!next.isDone()) {
                next.whenComplete((chunk, error) -> {
                    if (onChunk.test(chunk, error)) {
                        receiveLoop(source, onChunk);
                    }
                });
                return;
            }
            Optional<ByteBuffer> chunk = null;
            Throwable error = null;
            try {
                chunk = next.join();
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                error = e.getCause() != null ? e.getCause() : e;
            }
            if (!onChunk.test(chunk, error)) {
                return;
            }
        }
    }

    /** @return whether to receive the next datagram now (else the completion of its send does) */
    private boolean fromClient(Optional<ByteBuffer> chunk, Throwable error) {
        if (error != null || chunk.isEmpty()) {
            end(null); // the client's session ended (idle timeout, export stopped)
            return false;
        }
        ByteBuffer datagram = chunk.get();
        ByteStream target;
        synchronized (this) {
            if (closed) {
                return false;
            }
            target = current;
            if (target == null) {
                hold(datagram);
                return true;
            }
        }
        toDriver(target, datagram);
        return false;
    }

    /** Sends {@code datagram} to {@code target}; the next datagram is received once it is written. */
    private void toDriver(ByteStream target, ByteBuffer datagram) {
        target.send(datagram.duplicate()).whenComplete((v, e) -> {
            if (e == null) {
                fromClient();
                return;
            }
            if (refusedOnly(target, e)) {
                refused(e);
                fromClient();
                return;
            }
            // the driver went away before the registry heard of it: this datagram (still ours until the
            // next receive) goes to the replacement if one took over meanwhile, else waits for it
            ByteStream replacement;
            synchronized (this) {
                replacement = current != target ? current : null;
                if (replacement == null) {
                    hold(datagram);
                }
            }
            lost(target);
            if (replacement != null) {
                toDriver(replacement, datagram);
            } else {
                fromClient();
            }
        });
    }

    private void fromDriver(ByteStream driver) {
        driver.receive().whenComplete((chunk, error) -> {
            if (error != null || chunk.isEmpty()) {
                lost(driver);
                return;
            }
            client.send(chunk.get()).whenComplete((v, e) -> {
                if (e != null) {
                    end(null);
                } else {
                    fromDriver(driver);
                }
            });
        });
    }

    /** A driver stream ended: if it was the current one, the next datagrams wait for a replacement. */
    private void lost(ByteStream driver) {
        boolean wasCurrent;
        synchronized (this) {
            wasCurrent = driver == current;
            if (wasCurrent) {
                current = null;
            }
        }
        driver.close();
        if (wasCurrent) {
            openReplacement();
        }
    }

    private void openReplacement() {
        synchronized (this) {
            if (opening || closed) {
                return;
            }
            opening = true;
        }
        opener.get().whenComplete((stream, error) -> {
            if (error != null) {
                end("no driver for the waiting datagrams: " + Completions.rootMessage(error));
                return;
            }
            synchronized (this) {
                if (closed) {
                    stream.close();
                    return;
                }
            }
            fromDriver(stream);
            flush(stream);
        });
    }

    /** Sends the waiting datagrams in order, then makes {@code stream} current. */
    private void flush(ByteStream stream) {
        ByteBuffer next;
        synchronized (this) {
            next = pending.poll();
            if (next == null) {
                current = stream;
                opening = false;
                failedReplacements = 0;
                return;
            }
        }
        stream.send(next).whenComplete((v, e) -> {
            if (e == null || refusedOnly(stream, e)) {
                if (e != null) {
                    refused(e);
                }
                synchronized (this) {
                    failedReplacements = 0;
                }
                flush(stream);
                return;
            }
            // this replacement went away too: the datagram waits, first, for the next one
            int inARow;
            synchronized (this) {
                pending.addFirst(next);
                opening = false;
                inARow = ++failedReplacements;
            }
            stream.close();
            if (inARow >= MAX_FAILED_REPLACEMENTS) {
                end("the driver's streams failed the waiting datagrams " + inARow + " times in a row (latest: "
                        + Completions.rootMessage(e) + ")");
                return;
            }
            openReplacement();
        });
    }

    /**
     * A send failed while its stream stays open: the stream refused that one datagram (one too
     * large for its transport, as a UDP driver's to an IPv4 device from a client on IPv6), and
     * serves the next ones. Any other failure means the stream is gone.
     */
    private static boolean refusedOnly(ByteStream stream, Throwable error) {
        return !(Completions.unwrap(error) instanceof org.netdrivers.api.StreamClosedException)
                && !stream.closed().toCompletableFuture().isDone();
    }

    private void refused(Throwable error) {
        dropped.incrementAndGet();
        onRefused.accept(Completions.unwrap(error));
    }

    /** Called with this lock held. */
    private void hold(ByteBuffer datagram) {
        if (pending.size() < MAX_PENDING) {
            pending.add(copyOf(datagram));
        } else {
            dropped.incrementAndGet();
        }
    }

    private static ByteBuffer copyOf(ByteBuffer b) {
        return ByteBuffer.allocate(b.remaining()).put(b.duplicate()).flip();
    }

    /** Ends the session: closes the client and every driver stream it holds. */
    private void end(String why) {
        ByteStream c;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = current;
            current = null;
            pending.clear();
        }
        if (c != null) {
            c.close();
        }
        client.close();
        if (why != null) {
            onEnd.accept(why);
        }
    }
}
