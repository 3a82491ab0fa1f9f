package org.netdrivers.registry.internal;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.mina.core.service.IoAcceptor;
import org.apache.mina.core.session.ExpiringSessionRecycler;
import org.apache.mina.transport.socket.nio.NioDatagramAcceptor;
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
 * A listener that bridges every accepted connection (TCP) or client session (UDP: one per client
 * address, datagram boundaries kept) to a new stream of the best driver matching its target,
 * waiting for one (boundedly) while none is registered. The transport differs; the bridging,
 * accounting and hot-swap waiting are the same.
 */
final class MinaExport {
    private static final Logger LOG = LoggerFactory.getLogger(MinaExport.class);
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
    private final AtomicLong refusedLogged = new AtomicLong();
    private final AtomicLong closedDropped = new AtomicLong();
    private volatile IoAcceptor acceptor;
    private volatile String lastError;

    /**
     * @param source who configured the export and which field, for messages: "configuration
     *     org.netdrivers.forward~x, field 'listen'"
     */
    MinaExport(ListenAddress listen, Target target, String source, ExportContext context) {
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
        IoAcceptor a;
        if (listen.isUdp()) {
            NioDatagramAcceptor udp = new NioDatagramAcceptor();
            udp.getSessionConfig().setReuseAddress(true);
            MinaTransports.configureDatagram(udp.getSessionConfig(), context.udpIdleSeconds());
            udp.setSessionRecycler(new ExpiringSessionRecycler(context.udpIdleSeconds(), 1));
            int max = MinaTransports.udpMax(listen.socketAddress());
            udp.setHandler(new StreamIoHandler(
                    session -> MinaTransports.udpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                            clientStreamLimit(), max, true),
                    this::accepted));
            a = udp;
        } else {
            NioSocketAcceptor tcp = new NioSocketAcceptor(2);
            tcp.setReuseAddress(true);
            tcp.setBacklog(256);
            MinaTransports.configure(tcp.getSessionConfig(), true, false);
            tcp.setHandler(new StreamIoHandler(
                    session -> MinaTransports.tcpStream(session,
                            "export " + listen + " client " + session.getRemoteAddress(), clientStreamLimit()),
                    this::accepted));
            a = tcp;
        }
        a.setCloseOnDeactivation(true);
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
        IoAcceptor a = acceptor;
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
        if (listen.isUdp() && open.get() >= context.udpMaxSessions()) {
            failed.incrementAndGet();
            long now = System.nanoTime();
            long last = refusedLogged.get();
            if ((last == 0 || now - last > 10_000_000_000L) && refusedLogged.compareAndSet(last, now)) {
                LOG.warn("export {}: session of {} refused: {} sessions are open, the bound (udp_max_sessions); "
                        + "further refusals within 10 s are counted, not logged", listen, client.session().getRemoteAddress(),
                        open.get());
            }
            client.close();
            return;
        }
        total.incrementAndGet();
        open.incrementAndGet();
        live.put(client, NO_BRIDGE);
        client.closed().whenComplete((v, e) -> {
            Bridge bridge = live.remove(client);
            open.decrementAndGet();
            closedBytesIn.addAndGet(client.bytesIn());
            closedBytesOut.addAndGet(client.bytesOut());
            closedDropped.addAndGet(client.dropped());
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
        long dropped = closedDropped.get();
        for (java.util.Map.Entry<MinaByteStream, Bridge> e : live.entrySet()) {
            dropped += e.getKey().dropped();
            in += e.getKey().bytesIn();
            out += e.getKey().bytesOut();
            peak = Math.max(peak, peak(e.getKey(), e.getValue()));
        }
        return new ExportSnapshot(listen.toString(), target.toString(), source, acceptor != null, Optional.ofNullable(lastError),
                open.get(), total.get(), failed.get(), in, out, peak, context.bufferBytes(), dropped);
    }

    record ExportSnapshot(String listen, String target, String source, boolean listening, Optional<String> lastError,
            long openConnections, long totalConnections, long failedConnections, long bytesIn, long bytesOut,
            long maxBytesInFlight, long inFlightLimit, long droppedMessages) implements StreamRegistry.Export {
    }
}
