package org.netdrivers.registry.internal;

import java.io.IOException;

import org.apache.mina.core.service.IoAcceptor;
import org.apache.mina.core.session.ExpiringSessionRecycler;
import org.apache.mina.transport.socket.nio.NioDatagramAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.TlsStores;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.netdrivers.support.mina.TlsFilter;

/**
 * TCP, TLS and UDP listeners: a Mina acceptor; UDP gets one client session per client address. TCP
 * connections are served by the runtime's I/O threads, where a relay can splice them with the
 * driver sessions that serve them. A TLS connection (Mina's TLS filter, mutual TLS) counts as
 * accepted once its handshake is done and its client is allowed; a relay then carries its
 * plaintext as for TCP. A UDP listener's sessions are read and written by its acceptor's own
 * thread ({@code IoThreads.acceptorExecutor()}), and expired by its session recycler's thread,
 * which Mina leaves running after the acceptor is disposed: closing the listener stops it.
 */
final class MinaListener implements Listener {
    /** A client the listener turned away (TLS: no trusted certificate, or not allowed). */
    @FunctionalInterface
    interface Refused {
        void refused(Object remote, String why);
    }

    private final IoAcceptor acceptor;
    /** A UDP listener's, else null: its expiring thread outlives the acceptor unless stopped. */
    private final ExpiringSessionRecycler recycler;

    private MinaListener(IoAcceptor acceptor, ExpiringSessionRecycler recycler) {
        this.acceptor = acceptor;
        this.recycler = recycler;
    }

    /** @param tlsAllow the client subjects a tls:// listener serves; null: the registry's tls_allow */
    static MinaListener bind(ListenAddress listen, ExportSettings context, java.util.Set<String> tlsAllow, long clientLimit,
            Accepted accepted, Refused refused)
            throws IOException {
        IoAcceptor a;
        ExpiringSessionRecycler recycler = null;
        if (listen.isUdp()) {
            NioDatagramAcceptor udp = new NioDatagramAcceptor(context.io().acceptorExecutor());
            udp.getSessionConfig().setReuseAddress(true);
            MinaTransports.configureDatagram(udp.getSessionConfig(), context.udpIdleSeconds(), context.udpSocketBufferBytes());
            recycler = new ExpiringSessionRecycler(context.udpIdleSeconds(), 1);
            udp.setSessionRecycler(recycler);
            int max = MinaTransports.udpMax(listen.socketAddress());
            udp.setHandler(new StreamIoHandler(
                    session -> {
                        followSocketBuffers(session, context.udpSocketBufferBytes());
                        return MinaTransports.udpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                                clientLimit, max, true);
                    },
                    stream -> accepted.accept(stream, stream.session().getRemoteAddress())));
            a = udp;
        } else {
            NioSocketAcceptor tcp = new DrainingSocketAcceptor(context.io().processor());
            tcp.setReuseAddress(true);
            tcp.setBacklog(context.backlog());
            MinaTransports.configure(tcp.getSessionConfig(), true, false, context.socketBufferBytes());
            // the registry's idle_timeout_s as it is when the connection comes (0: none)
            java.util.function.Function<org.apache.mina.core.session.IoSession, org.netdrivers.support.mina.MinaByteStream> streams =
                    session -> {
                        followSocketBuffers(session, context.socketBufferBytes());
                        session.getConfig().setIdleTime(org.apache.mina.core.session.IdleStatus.BOTH_IDLE,
                                context.idleTimeoutSeconds());
                        return MinaTransports.tcpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                                clientLimit);
                    };
            if (listen.isTls()) {
                tls(tcp, context, tlsAllow, streams, accepted, refused);
            } else {
                tcp.setHandler(new StreamIoHandler(streams, stream -> accepted.accept(stream, stream.session().getRemoteAddress())));
            }
            a = tcp;
        }
        a.setCloseOnDeactivation(true);
        try {
            a.bind(listen.socketAddress());
        } catch (IOException | RuntimeException e) {
            a.dispose(false);
            if (recycler != null) {
                recycler.stopExpiring();
            }
            throw e;
        }
        return new MinaListener(a, recycler);
    }

    /**
     * Brings a new session's SO_SNDBUF and SO_RCVBUF, and those its acceptor gives its later
     * sessions, to the registry's {@code bytes} as it is now: the registry's configuration may
     * have changed since the export started listening (at a start, Config Admin may deliver it
     * after a driver's). Mina gives each new session its acceptor's settings, so only a change
     * costs a call; a UDP export's sessions share its socket, which the change reaches at its next
     * new client. 0 leaves the sizes as they are.
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
     * The registry's key and trust stores and its tls_allow (or the forward's own {@code forwardAllow})
     * are read when each connection comes: a change of the registry's configuration applies to the
     * next connection of a listening export, and leaves open ones as they are. A configuration
     * without stores leaves it the ones it had.
     */
    private static void tls(NioSocketAcceptor tcp, ExportSettings context, java.util.Set<String> forwardAllow,
            java.util.function.Function<org.apache.mina.core.session.IoSession, org.netdrivers.support.mina.MinaByteStream> streams,
            Accepted accepted, Refused refused) throws IOException {
        javax.net.ssl.SSLContext ssl = context.tls();
        if (ssl == null) {
            throw new IOException("a tls:// export needs tls_key_store and tls_trust_store in the registry's configuration"
                    + " (" + org.netdrivers.api.NetworkConstants.PID_REGISTRY + ")");
        }
        tcp.getFilterChain().addLast("tls", new TlsFilter(() -> {
            javax.net.ssl.SSLContext now = context.tls();
            return now != null ? now : ssl;
        }));
        tcp.setHandler(new StreamIoHandler(streams,
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
                        : "TLS handshake failed: " + org.netdrivers.support.stream.Completions.rootMessage(cause))));
    }

    @Override
    public void close() {
        acceptor.unbind();
        acceptor.dispose(false);
        if (recycler != null) {
            recycler.stopExpiring();
        }
    }
}
