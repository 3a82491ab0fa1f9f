package org.netdrivers.fleet.internal;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.mina.ConnectGate;
import org.netdrivers.support.mina.MinaByteStream;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.netdrivers.support.mina.TlsFilter;
import org.netdrivers.support.net.TlsStores;
import org.netdrivers.support.stream.Completions;

/**
 * Streams to other runtimes' endpoints: mutual TLS to the owner's fleet port with this runtime's
 * key, the handshake line ({@link FleetProtocol}), and, once the owner answered OK, the session's
 * stream; bytes that came with the answer are the stream's first.
 */
final class FleetConnector implements AutoCloseable {
    private static final String OPENING = FleetConnector.class.getName() + ".opening";
    private static final long STREAM_BUFFER = 1024 * 1024;
    /** Why an open fails once {@link #close()} has begun. */
    private static final String STOPPING = "the fleet is stopping";

    /** One connect under way: what it opens, and its result. */
    private record Opening(String name, String describe, CompletableFuture<MinaByteStream> result) {
        void fail(String why, Throwable cause) {
            ConnectException e = new ConnectException(describe + ": " + why);
            if (cause != null) {
                e.initCause(cause);
            }
            result.completeExceptionally(e);
        }
    }

    private final IoThreads io;
    private final ScheduledExecutorService timer;
    private final NioSocketConnector connector;
    /** Opens pass it; {@link #close()} disposes of the connector once it is closed. */
    private final ConnectGate gate;

    /**
     * @param allow when not empty, the certificate subjects (canonical) of the runtimes this one opens
     *     streams to, as of those it serves: an owner whose certificate is not among them is not told
     *     which endpoint was wanted
     */
    FleetConnector(IoThreads io, java.util.function.Supplier<SSLContext> ssl, java.util.Set<String> allow, ScheduledExecutorService timer) {
        this.io = io;
        this.timer = timer;
        connector = MinaTransports.socketConnector(io);
        gate = new ConnectGate(connector);
        connector.setConnectTimeoutMillis(FleetProtocol.HANDSHAKE_MS);
        FleetProtocol.chain(connector.getSessionConfig(), connector.getFilterChain(), ssl, new FirstLineFilter.Lines() {
            @Override
            public void line(IoSession session, String line) {
                answered(session, line);
            }

            @Override
            public void tooLong(IoSession session, int bytes) {
                opening(session).fail("the owner's answer is not the fleet handshake (no newline in " + bytes + " bytes)", null);
                session.closeNow();
            }
        });
        connector.setHandler(new StreamIoHandler(this::stream,
                stream -> {
                    if (gate.isClosed()) {
                        stopOpening(stream.session()); // a connect that was under way when the fleet stopped
                        return;
                    }
                    javax.security.auth.x500.X500Principal owner = TlsFilter.peerSubject(stream.session());
                    if (!TlsStores.allows(allow, owner)) {
                        opening(stream.session()).fail("the owner's certificate subject " + owner + " is not in allow", null);
                        stream.session().closeNow();
                        return;
                    }
                    stream.send(ByteBuffer.wrap(FleetProtocol.openLine(opening(stream.session()).name())));
                },
                (session, cause) -> opening(session).fail(cause == null ? "closed by the owner during the TLS handshake"
                        : "TLS handshake failed: " + Completions.rootMessage(cause), cause)));
    }

    /**
     * @param owner the owning runtime's fleet port
     * @param name the endpoint's name there
     * @param describe how messages name the endpoint (RUNTIME/NAME via ADDRESS)
     */
    CompletionStage<MinaByteStream> open(InetSocketAddress owner, String name, String describe) {
        Opening opening = new Opening(name, describe, new CompletableFuture<>());
        IoSessionInitializer<ConnectFuture> join = io.joinCallingThread();
        ConnectFuture connect;
        try {
            java.util.Optional<ConnectFuture> begun = gate.connect(owner, (session, future) -> {
                session.setAttribute(OPENING, opening);
                join.initializeSession(session, future);
            });
            if (begun.isEmpty()) {
                opening.fail(STOPPING, null);
                return opening.result();
            }
            connect = begun.get();
        } catch (RuntimeException e) {
            opening.fail(STOPPING, e);
            return opening.result();
        }
        connect.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (!cf.isConnected()) {
                opening.fail("cannot connect: " + (cf.getException() == null ? "not connected" : Completions.message(cf.getException())),
                        cf.getException());
            }
        });
        var late = timer.schedule(() -> {
            if (!opening.result().isDone()) {
                opening.fail("no answer within " + FleetProtocol.HANDSHAKE_MS + " ms", null);
                connect.addListener(f -> {
                    if (((ConnectFuture) f).isConnected()) {
                        ((ConnectFuture) f).getSession().closeNow();
                    }
                });
            }
        }, FleetProtocol.HANDSHAKE_MS, TimeUnit.MILLISECONDS);
        opening.result().whenComplete((s, e) -> late.cancel(false));
        return opening.result();
    }

    private static Opening opening(IoSession session) {
        return (Opening) session.getAttribute(OPENING);
    }

    private MinaByteStream stream(IoSession session) {
        Opening opening = opening(session);
        MinaTransports.keepAlive(session, FleetProtocol.KEEP_ALIVE);
        MinaByteStream stream = MinaTransports.tlsHalfClosingStream(session, opening.describe(), STREAM_BUFFER);
        stream.closed().whenComplete((v, e) -> opening.fail("closed by the owner before it answered", null));
        return stream;
    }

    /** The owner's answer: OK hands the stream out (what follows the newline is already in it), ERR fails the open with its reason. */
    private void answered(IoSession session, String line) {
        Opening opening = opening(session);
        if ("OK".equals(line)) {
            MinaByteStream stream = StreamIoHandler.stream(session);
            if (!opening.result().complete(stream)) {
                stream.close(); // too late: the open failed meanwhile
            }
            return;
        }
        opening.fail(line.startsWith("ERR ") ? "refused by the owner: " + line.substring(4)
                : "the owner's answer is not the fleet handshake: " + line.substring(0, Math.min(line.length(), 60)), null);
        session.closeNow();
    }

    /**
     * Fails the opens still waiting for their owner's answer ("the fleet is stopping") and closes
     * their connections (the handshake's bound, on the fleet's timer, goes with the fleet), then
     * disposes of the connector. Streams already handed out are their users' to close.
     */
    @Override
    public void close() {
        gate.close();
        for (IoSession session : connector.getManagedSessions().values()) {
            Opening opening = opening(session);
            if (opening != null && !opening.result().isDone()) {
                stopOpening(session);
            }
        }
        connector.dispose(false);
    }

    /** Fails the session's open with the fleet's stop and closes its connection. */
    private static void stopOpening(IoSession session) {
        opening(session).fail(STOPPING, null);
        session.closeNow();
    }
}
