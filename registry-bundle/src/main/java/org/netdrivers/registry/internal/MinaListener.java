package org.netdrivers.registry.internal;

import java.io.IOException;

import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.TlsStores;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.netdrivers.support.mina.TlsFilter;

/**
 * TCP, TLS and UDP listeners on Mina. TCP and TLS exports listen on the registry's shared
 * acceptors ({@link SharedAcceptor}: one thread accepts for every tcp:// export, one for every
 * tls:// export); their connections are served by the runtime's I/O threads, where a relay can
 * splice them with the driver sessions that serve them. A TLS connection (Mina's TLS filter,
 * mutual TLS) counts as accepted once its handshake is done and its client is allowed; a relay
 * then carries its plaintext as for TCP. A UDP export listens on one of the registry's datagram
 * acceptors ({@link DatagramAcceptors}: as many as the I/O threads at most, each shared by
 * several exports), with one client session per client address ({@link ClientSessions}): its
 * sessions are read and written by that acceptor's thread ({@code IoThreads.acceptorExecutor()}),
 * which also ends those idle for {@code udp_idle_timeout_s} either way.
 */
final class MinaListener {
    /** A client the listener turned away (TLS: no trusted certificate, or not allowed). */
    @FunctionalInterface
    interface Refused {
        void refused(Object remote, String why);
    }

    private MinaListener() {}

    /**
     * @param tlsAllow the client subjects a tls:// listener serves; null: the registry's tls_allow
     * @return the listener, whose close unbinds the export's address (TCP, TLS: and closes its
     *     connections) or disposes of its acceptor (UDP: and so of its client sessions)
     */
    static Listener bind(ListenAddress listen, ExportSettings context, java.util.Set<String> tlsAllow, long clientLimit,
            Accepted accepted, Refused refused)
            throws IOException {
        if (listen.isUdp()) {
            return bindUdp(listen, context, clientLimit, accepted);
        }
        // the registry's idle_timeout_s, keepalive and socket buffers as they are when the connection comes
        java.util.function.Function<org.apache.mina.core.session.IoSession, org.netdrivers.support.mina.MinaByteStream> streams =
                session -> {
                    MinaTransports.keepAlive(session, context.keepAlive());
                    followSocketBuffers(session, context.socketBufferBytes());
                    session.getConfig().setIdleTime(org.apache.mina.core.session.IdleStatus.BOTH_IDLE,
                            context.idleTimeoutSeconds());
                    return MinaTransports.tcpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                            clientLimit);
                };
        SharedAcceptor shared;
        StreamIoHandler handler;
        if (listen.isTls()) {
            handler = tlsHandler(context, tlsAllow, streams, accepted, refused); // needs the registry's TLS stores
            shared = context.tlsAcceptor();
        } else {
            shared = context.tcpAcceptor();
            handler = new StreamIoHandler(streams, stream -> accepted.accept(stream, stream.session().getRemoteAddress()));
        }
        return shared.bind(listen.socketAddress(), context.backlog(), handler)::close;
    }

    private static Listener bindUdp(ListenAddress listen, ExportSettings context, long clientLimit, Accepted accepted)
            throws IOException {
        int max = MinaTransports.udpMax(listen.socketAddress());
        StreamIoHandler handler = new StreamIoHandler(
                session -> {
                    // the registry's settings as they are when the client comes: the acceptor may be older than them
                    session.getConfig().setIdleTime(org.apache.mina.core.session.IdleStatus.BOTH_IDLE, context.udpIdleSeconds());
                    followSocketBuffers(session, context.udpSocketBufferBytes());
                    return MinaTransports.udpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                            clientLimit, max, true);
                },
                stream -> accepted.accept(stream, stream.session().getRemoteAddress()));
        return context.udpAcceptors().bind(listen.socketAddress(), handler)::close;
    }

    /**
     * Brings a new session's SO_SNDBUF and SO_RCVBUF, and those its acceptor gives its later
     * sessions, to the registry's {@code bytes} as it is now: the registry's configuration may
     * have changed since the export started listening (at a start, Config Admin may deliver it
     * after a driver's). Mina gives each new session its acceptor's settings, so only a change
     * costs a call; a UDP session's settings are those of the export's socket, which its clients
     * share, so the change reaches that socket at its next new client (Mina applies the
     * acceptor's settings at each: every export of a shared datagram acceptor follows). 0 leaves
     * the sizes as they are.
     */
    private static void followSocketBuffers(org.apache.mina.core.session.IoSession session, int bytes) {
        if (bytes <= 0) {
            return;
        }
        org.apache.mina.core.session.IoSessionConfig acceptor = session.getService().getSessionConfig();
        if (MinaTransports.receiveBufferSize(acceptor) != bytes) {
            MinaTransports.socketBuffers(acceptor, bytes);
            MinaTransports.socketBuffers(session.getConfig(), bytes);
        }
    }

    /**
     * The registry's key and trust stores are read when each connection comes
     * ({@link ExportSettings#tlsAcceptor}), and its tls_allow (or the forward's own
     * {@code forwardAllow}) once its handshake is done: a change of the registry's configuration
     * applies to the next connection of a listening export, and leaves open ones as they are.
     */
    private static StreamIoHandler tlsHandler(ExportSettings context, java.util.Set<String> forwardAllow,
            java.util.function.Function<org.apache.mina.core.session.IoSession, org.netdrivers.support.mina.MinaByteStream> streams,
            Accepted accepted, Refused refused) throws IOException {
        if (context.tls() == null) {
            throw new IOException("a tls:// export needs tls_key_store and tls_trust_store in the registry's configuration"
                    + " (" + org.netdrivers.api.NetworkConstants.PID_REGISTRY + ")");
        }
        return new StreamIoHandler(streams,
                stream -> {
                    javax.security.auth.x500.X500Principal subject = TlsFilter.peerSubject(stream.session());
                    java.util.Set<String> allow = forwardAllow != null ? forwardAllow : context.tlsAllow();
                    if (!TlsStores.allows(allow, subject)) {
                        refused.refused(stream.session().getRemoteAddress(), "certificate subject "
                                + (subject == null ? "(none)" : subject.getName()) + " is not in tls_allow");
                        stream.close();
                        return;
                    }
                    accepted.accept(stream, stream.session().getRemoteAddress());
                },
                (session, cause) -> refused.refused(session.getRemoteAddress(), cause == null
                        ? "closed before the TLS handshake was done"
                        : "TLS handshake failed: " + org.netdrivers.support.stream.Completions.rootMessage(cause)));
    }
}
