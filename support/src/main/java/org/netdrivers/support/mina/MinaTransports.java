package org.netdrivers.support.mina;


import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;

import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionConfig;
import org.apache.mina.transport.socket.DatagramSessionConfig;
import org.apache.mina.transport.socket.SocketSessionConfig;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.net.KeepAlive;

/** Mina settings shared by the TCP driver and the TCP exports. */
public final class MinaTransports {
    private MinaTransports() {}

    /**
     * Largest chunk one TCP read produces: just under 64 KiB, so that a TCP export of a UDP
     * driver never hands it a chunk larger than a datagram can carry.
     */
    public static final int MAX_CHUNK = 64 * 1024 - 64;

    /**
     * A TCP connector on the runtime's I/O threads: its sessions on {@link IoThreads#processor()},
     * its worker (which waits for connections under way) on {@link IoThreads#connectorExecutor()}.
     */
    public static NioSocketConnector socketConnector(IoThreads io) {
        return new NioSocketConnector(io.connectorExecutor(), io.processor());
    }

    /** Half-close of a Mina NIO socket session: shuts down the output of its channel. */
    public static final MinaByteStream.HalfCloser TCP_HALF_CLOSE = session -> {
        ((SocketChannel) ((NioSession) session).getChannel()).shutdownOutput();
        return CompletableFuture.completedFuture(null);
    };

    /**
     * Read buffers adapt between 4 KiB and {@link #MAX_CHUNK}; the session never closes on idle.
     * Keepalive is each session's own ({@link #keepAlive}).
     *
     * @param socketBufferBytes SO_SNDBUF and SO_RCVBUF; 0 for the system's default
     */
    public static void configure(SocketSessionConfig config, boolean tcpNoDelay, int socketBufferBytes) {
        socketBuffers(config, socketBufferBytes);
        config.setTcpNoDelay(tcpNoDelay);
        config.setMinReadBufferSize(4096);
        config.setReadBufferSize(16 * 1024);
        config.setMaxReadBufferSize(MAX_CHUNK);
    }

    /**
     * TCP keepalive of a new TCP session, set on its socket ({@link KeepAlive}): called when the
     * session is created. A socket already closed (a peer that reset at once) is left alone: its
     * session ends anyway.
     */
    public static void keepAlive(IoSession session, KeepAlive keepAlive) {
        try {
            keepAlive.apply((NetworkChannel) ((NioSession) session).getChannel());
        } catch (java.io.IOException closed) {
            // the session's close follows
        }
    }

    /**
     * SO_SNDBUF and SO_RCVBUF of a socket or datagram session, or of those an acceptor or a
     * connector makes (Mina's two configurations declare them apart, with no common interface);
     * 0 leaves them as they are.
     */
    public static void socketBuffers(IoSessionConfig config, int bytes) {
        if (bytes <= 0) {
            return;
        }
        if (config instanceof SocketSessionConfig c) {
            c.setSendBufferSize(bytes);
            c.setReceiveBufferSize(bytes);
        } else if (config instanceof DatagramSessionConfig c) {
            c.setSendBufferSize(bytes);
            c.setReceiveBufferSize(bytes);
        }
    }

    /** @return SO_RCVBUF of a socket or datagram configuration, as {@link #socketBuffers} set it; -1 for another kind */
    public static int receiveBufferSize(IoSessionConfig config) {
        if (config instanceof SocketSessionConfig c) {
            return c.getReceiveBufferSize();
        }
        return config instanceof DatagramSessionConfig c ? c.getReceiveBufferSize() : -1;
    }

    /** {@code scheme://HOST:PORT} of the peer a session is connected to (a driver's, whose host name may point elsewhere by now). */
    public static String remote(String scheme, IoSession session) {
        return org.netdrivers.support.net.NetAddresses.format(scheme, (java.net.InetSocketAddress) session.getRemoteAddress());
    }

    /** Largest UDP payload over IPv4 (65535 - 8 - 20) and over IPv6 (65535 - 8). */
    public static final int UDP_MAX_IPV4 = 65_507;
    public static final int UDP_MAX_IPV6 = 65_527;

    /** The largest datagram to or from {@code address}. */
    public static int udpMax(java.net.InetSocketAddress address) {
        return address.getAddress() instanceof java.net.Inet6Address ? UDP_MAX_IPV6 : UDP_MAX_IPV4;
    }

    /**
     * Datagram sessions read whole datagrams (a buffer of 64 KiB), keep going when nobody listens
     * on the other side, and are idle after {@code idleSeconds} without traffic either way.
     *
     * @param socketBufferBytes SO_SNDBUF and SO_RCVBUF of the socket (the kernel caps them at its
     *        net.core.wmem_max and rmem_max); 0 for the system's default
     */
    public static void configureDatagram(DatagramSessionConfig config, int idleSeconds, int socketBufferBytes) {
        config.setReadBufferSize(64 * 1024);
        config.setMinReadBufferSize(64 * 1024);
        config.setMaxReadBufferSize(64 * 1024);
        socketBuffers(config, socketBufferBytes);
        config.setCloseOnPortUnreachable(false);
        config.setIdleTime(org.apache.mina.core.session.IdleStatus.BOTH_IDLE, idleSeconds);
    }

    /** A stream for a UDP session; {@code shared} for sessions of an acceptor. */
    public static MinaByteStream udpStream(IoSession session, String label, long limit, int maxMessage, boolean shared) {
        return new MinaByteStream(session, label, Math.max(limit, 4L * 64 * 1024), 64 * 1024, s -> CompletableFuture.completedFuture(null),
                shared ? MinaByteStream.Mode.SHARED_DATAGRAM : MinaByteStream.Mode.DATAGRAM, maxMessage);
    }

    /** A stream for a new TCP session. */
    /** A stream over a TCP session; over a TLS session (see {@link #isTls}) its sends end with the connection ({@link #TLS_END}). */
    public static MinaByteStream tcpStream(IoSession session, String label, long limit) {
        return new MinaByteStream(session, label, Math.max(limit, 4L * MAX_CHUNK), MAX_CHUNK,
                isTls(session) ? TLS_END : TCP_HALF_CLOSE);
    }

    /**
     * A TLS connection cannot end one direction alone here (TLS 1.2 has no half-close): the end of
     * what this side sends is a close_notify, then the connection closes ({@link TlsFilter#closeAfterNotify}).
     */
    public static final MinaByteStream.HalfCloser TLS_END = TlsFilter::closeAfterNotify;

    /** Half-close of a TLS 1.3 session: close_notify, then TCP shutdown of the output ({@link TlsFilter#shutdownOutput}). */
    public static final MinaByteStream.HalfCloser TLS_HALF_CLOSE = TlsFilter::shutdownOutput;

    /**
     * A stream over a session behind a {@link TlsFilter} that accepts TLS 1.3 alone: its sendEof
     * half-closes ({@link #TLS_HALF_CLOSE}); the peer's half-close ends its input, and sending goes on.
     */
    public static MinaByteStream tlsHalfClosingStream(IoSession session, String label, long limit) {
        return new MinaByteStream(session, label, Math.max(limit, 4L * MAX_CHUNK), MAX_CHUNK, TLS_HALF_CLOSE);
    }

    /** Whether a TLS filter en- and decrypts the session's bytes. */
    static boolean isTls(IoSession session) {
        return session.getFilterChain().contains(org.apache.mina.filter.ssl.SslFilter.class);
    }
}
