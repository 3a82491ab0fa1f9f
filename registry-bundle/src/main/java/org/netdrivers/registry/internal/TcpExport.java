package org.netdrivers.registry.internal;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.support.Bridge;
import org.netdrivers.support.ListenAddress;
import org.netdrivers.support.mina.MinaByteStream;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener that bridges every accepted connection to a new stream of the best driver
 * matching its target, waiting for one (boundedly) while none is registered.
 */
final class TcpExport {
    private static final Logger LOG = LoggerFactory.getLogger(TcpExport.class);
    /** Marks a connection that waits for its driver. */
    private static final Bridge NO_BRIDGE = new Bridge(null, null);

    private final ListenAddress listen;
    private final Target target;
    private final String source;
    private final ExportContext context;
    private final java.util.Map<MinaByteStream, Bridge> live = new ConcurrentHashMap<>();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong closedBytesIn = new AtomicLong();
    private final AtomicLong closedBytesOut = new AtomicLong();
    private final AtomicLong peakInFlight = new AtomicLong();
    private volatile NioSocketAcceptor acceptor;
    private volatile String lastError;

    /**
     * @param source who configured the export and which field, for messages: "configuration
     *     org.netdrivers.forward~x, field 'listen'"
     */
    TcpExport(ListenAddress listen, Target target, String source, ExportContext context) {
        this.listen = listen;
        this.target = target;
        this.source = source;
        this.context = context;
    }

    ListenAddress listen() {
        return listen;
    }

    Target target() {
        return target;
    }

    String source() {
        return source;
    }

    /** Binds the listener; on failure logs one line naming the source and returns false. */
    boolean start() {
        NioSocketAcceptor a = new NioSocketAcceptor(2);
        a.setReuseAddress(true);
        a.setBacklog(256);
        a.setCloseOnDeactivation(true);
        MinaTransports.configure(a.getSessionConfig(), true, false);
        a.setHandler(new StreamIoHandler(
                session -> MinaTransports.tcpStream(session,
                        "export " + listen + " client " + session.getRemoteAddress(), clientStreamLimit()),
                this::accepted));
        try {
            a.bind(listen.socketAddress());
        } catch (IOException | RuntimeException e) {
            a.dispose(false);
            lastError = "cannot listen on " + listen + ": " + rootMessage(e);
            LOG.warn("export {} not started: {}: cannot listen: {}", listen, source, rootMessage(e));
            return false;
        }
        acceptor = a;
        lastError = null;
        if (!listen.isLoopback()) {
            LOG.info("export {} listens on a non-loopback address, as configured ({})", listen, source);
        }
        LOG.info("export {} listening for '{}' ({})", listen, target, source);
        return true;
    }

    /**
     * What the client's stream may buffer: the bound less what the bridge may have sent on and
     * not yet seen accepted (its window and one chunk), so that the two together stay in bound.
     */
    private long clientStreamLimit() {
        return (long) context.bufferBytes() - Bridge.DEFAULT_WINDOW - MinaTransports.MAX_CHUNK;
    }

    /** Stops listening and closes every bridged connection. */
    void stop(String why) {
        NioSocketAcceptor a = acceptor;
        acceptor = null;
        if (a != null) {
            a.unbind();
            a.dispose(false);
            LOG.info("export {} stopped: {}", listen, why);
        }
        StreamClosedException reason = new StreamClosedException("export " + listen + " stopped: " + why);
        live.keySet().forEach(s -> s.close(reason));
    }

    private void accepted(MinaByteStream client) {
        total.incrementAndGet();
        open.incrementAndGet();
        live.put(client, NO_BRIDGE);
        client.closed().whenComplete((v, e) -> {
            Bridge bridge = live.remove(client);
            open.decrementAndGet();
            closedBytesIn.addAndGet(client.bytesIn());
            closedBytesOut.addAndGet(client.bytesOut());
            peakInFlight.accumulateAndGet(peak(client, bridge), Math::max);
        });
        context.endpointTable().open(target, context.waitMs(), context.timer()).whenComplete((driverStream, error) -> {
            if (error != null) {
                failed.incrementAndGet();
                LOG.warn("export {}: connection from {} closed: {}", listen, client.session().getRemoteAddress(), rootMessage(error));
                client.close();
                return;
            }
            Bridge bridge = new Bridge(client, driverStream, Bridge.DEFAULT_WINDOW, client::inFlight, () -> 0);
            if (!live.replace(client, NO_BRIDGE, bridge)) {
                driverStream.close(); // the client went away while it waited
                return;
            }
            bridge.start().done().thenAccept(failure -> {
                if (failure != null) {
                    LOG.info("export {}: connection from {} ended: {}", listen, client.session().getRemoteAddress(),
                            rootMessage(failure));
                }
            });
        });
    }

    /** The message of {@code e} and of its deepest cause, where that says more ("Address already in use"). */
    private static String rootMessage(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message = message + ": " + root.getMessage();
        }
        return message;
    }

    /** Bytes this export held for one connection at most, in either direction. */
    private static long peak(MinaByteStream client, Bridge bridge) {
        long p = client.peakInFlight();
        if (bridge != null && bridge != NO_BRIDGE) {
            p = Math.max(p, Math.max(bridge.peakInFlightAtoB(), bridge.peakInFlightBtoA()));
        }
        return p;
    }

    StreamRegistry.Export snapshot() {
        long in = closedBytesIn.get();
        long out = closedBytesOut.get();
        long peak = peakInFlight.get();
        for (java.util.Map.Entry<MinaByteStream, Bridge> e : live.entrySet()) {
            in += e.getKey().bytesIn();
            out += e.getKey().bytesOut();
            peak = Math.max(peak, peak(e.getKey(), e.getValue()));
        }
        return new ExportSnapshot(listen.toString(), target.toString(), source, acceptor != null, Optional.ofNullable(lastError),
                open.get(), total.get(), failed.get(), in, out, peak, context.bufferBytes());
    }

    record ExportSnapshot(String listen, String target, String source, boolean listening, Optional<String> lastError,
            long openConnections, long totalConnections, long failedConnections, long bytesIn, long bytesOut,
            long maxBytesInFlight, long inFlightLimit) implements StreamRegistry.Export {
    }
}
