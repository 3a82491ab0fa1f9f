package org.netdrivers.registry.internal;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.TransportStream;
import org.netdrivers.support.net.ListenAddress;

/** A registered driver service and the traffic the registry carried to it. */
final class EndpointEntry {
    /** The service: its properties follow the registration's. */
    final ServiceView ref;
    final NetworkInterface service;
    final AtomicLong open = new AtomicLong();
    final AtomicLong total = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    /** Streams of this driver that a relay carries: their bytes are read from their sessions. */
    private final java.util.Set<TransportStream> relayed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Set when the service is being unregistered: streams it opens now are not handed out. */
    volatile boolean gone;
    private final CompletableFuture<Void> goneFuture = new CompletableFuture<>();
    /** Connects under way, failed when the service goes. */
    private final java.util.Set<CompletableFuture<ByteStream>> connecting = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Name and export as they were when the registry took the service up (see Registry.updatedNetwork). */
    private final String name;
    private final Optional<String> export;
    private final Optional<ListenAddress> exportAddress;
    private final String exportProblem;

    EndpointEntry(ServiceView ref, NetworkInterface service) {
        this.ref = ref;
        this.service = service;
        this.name = String.valueOf(ref.property(NetworkConstants.NETWORK_NAME));
        Object e = ref.property(NetworkConstants.NETWORK_EXPORT);
        this.export = e == null ? Optional.empty() : Optional.of(e.toString());
        ListenAddress parsed = null;
        String problem = null;
        if (export.isPresent()) {
            try {
                parsed = ListenAddress.parse(export.get());
            } catch (IllegalArgumentException invalid) {
                problem = invalid.getMessage();
            }
        }
        this.exportAddress = Optional.ofNullable(parsed);
        this.exportProblem = problem;
    }

    /** @return where the driver asks to be exported, parsed; empty where it asks for nothing or for no valid address */
    Optional<ListenAddress> exportAddress() {
        return exportAddress;
    }

    /** @return why the driver's {@code network.export} is no address, or null */
    String exportProblem() {
        return exportProblem;
    }

    String name() {
        return name;
    }

    /** Whether the service's name or export changed since it was taken up. */
    boolean identityChanged() {
        Object e = ref.property(NetworkConstants.NETWORK_EXPORT);
        return !name.equals(String.valueOf(ref.property(NetworkConstants.NETWORK_NAME)))
                || !export.equals(e == null ? Optional.empty() : Optional.of(e.toString()));
    }

    String type() {
        return String.valueOf(ref.property(NetworkConstants.NETWORK_TYPE));
    }

    Optional<String> export() {
        return export;
    }

    String pid() {
        Object pid = ref.property("service.pid");
        return pid == null ? "service " + ref.property("service.id") : pid.toString();
    }

    String describe() {
        return type() + " driver '" + name() + "' (" + pid() + ")";
    }

    /**
     * Connects and wraps the stream so that it is counted here. A connect still under way when the
     * driver goes away ({@link #gone()}) fails then with a {@link StreamClosedException} (the
     * caller turns to the replacement), and its stream, should it come, is closed: a driver
     * that never completes a connect it had begun as it went cannot hold a caller.
     */
    CompletionStage<ByteStream> open() {
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        connecting.add(result);
        if (gone) {
            connecting.remove(result);
            return CompletableFuture.failedFuture(goneWhileConnecting());
        }
        service.connect().whenComplete((stream, error) -> {
            connecting.remove(result);
            if (error != null) {
                failures.incrementAndGet();
                result.completeExceptionally(error);
            } else {
                // counted before the caller has it: a caller woken by the open sees it counted
                open.incrementAndGet();
                total.incrementAndGet();
                if (result.complete(new Counted(stream))) {
                    stream.closed().whenComplete((v, e) -> open.decrementAndGet());
                } else { // the driver went away meanwhile; the caller has moved on
                    open.decrementAndGet();
                    total.decrementAndGet();
                    stream.close();
                }
            }
        });
        return result;
    }

    /** The service is being unregistered: streams it opens from now on are not handed out. */
    void gone() {
        gone = true;
        goneFuture.complete(null);
        StreamClosedException reason = goneWhileConnecting();
        for (CompletableFuture<ByteStream> c : connecting) {
            c.completeExceptionally(reason);
        }
    }

    /** @return completed when the registry lets the service go ({@link #gone()}) */
    CompletableFuture<Void> whenGone() {
        return goneFuture;
    }

    /** Why a stream this driver opened is not handed out: it went away meanwhile. */
    StreamClosedException goneWhileConnecting() {
        return new StreamClosedException(describe() + " went away while connecting");
    }

    StreamRegistry.Endpoint snapshot() {
        Map<String, Object> props = new TreeMap<>();
        props.putAll(ref.properties());
        long in;
        long out;
        synchronized (relayed) { // a relayed stream that ends meanwhile is counted once: live or closed
            in = bytesIn.get();
            out = bytesOut.get();
            for (TransportStream s : relayed) {
                in += s.bytesIn();
                out += s.bytesOut();
            }
        }
        return new EndpointSnapshot(name(), type(), service.describeAddress(), export(), Collections.unmodifiableMap(props),
                open.get(), total.get(), in, out);
    }

    /** A relay carries {@code stream} (one of this driver's) from now on: count its session's bytes. */
    void relayed(TransportStream stream) {
        relayed.add(stream);
        stream.closed().whenComplete((v, e) -> {
            synchronized (relayed) {
                if (relayed.remove(stream)) {
                    bytesIn.addAndGet(stream.bytesIn());
                    bytesOut.addAndGet(stream.bytesOut());
                }
            }
        });
    }

    /** The driver's own stream behind one this registry handed out. */
    static ByteStream unwrap(ByteStream stream) {
        return stream instanceof Counted ? ((Counted) stream).inner : stream;
    }

    record EndpointSnapshot(String name, String type, String address, Optional<String> export, Map<String, Object> properties,
            long openStreams, long totalStreams, long bytesIn, long bytesOut) implements StreamRegistry.Endpoint {
    }

    /** The entry whose driver opened {@code stream} (a stream this registry handed out), or null. */
    static EndpointEntry ownerOf(ByteStream stream) {
        return stream instanceof Counted ? ((Counted) stream).owner() : null;
    }

    /** Counts bytes through a driver's stream. */
    private final class Counted implements ByteStream {
        private final ByteStream inner;

        Counted(ByteStream inner) {
            this.inner = inner;
        }

        EndpointEntry owner() {
            return EndpointEntry.this;
        }

        @Override
        public CompletionStage<Optional<ByteBuffer>> receive() {
            return inner.receive().thenApply(chunk -> {
                chunk.ifPresent(c -> bytesIn.addAndGet(c.remaining()));
                return chunk;
            });
        }

        @Override
        public CompletionStage<Void> send(ByteBuffer chunk) {
            int n = chunk.remaining();
            return inner.send(chunk).thenRun(() -> bytesOut.addAndGet(n));
        }

        @Override
        public CompletionStage<Void> sendEof() {
            return inner.sendEof();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public CompletionStage<Void> closed() {
            return inner.closed();
        }

        @Override
        public String toString() {
            return inner.toString();
        }
    }
}
