package org.netdrivers.support.mina;


import java.nio.channels.SocketChannel;

import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.SocketSessionConfig;
import org.apache.mina.transport.socket.nio.NioSession;

/** Mina settings shared by the TCP driver and the TCP exports. */
public final class MinaTransports {
    private MinaTransports() {}

    /** Largest chunk one read produces. */
    public static final int MAX_CHUNK = 64 * 1024;

    /** Half-close of a Mina NIO socket session: shuts down the output of its channel. */
    public static final MinaByteStream.HalfCloser TCP_HALF_CLOSE =
            session -> ((SocketChannel) ((NioSession) session).getChannel()).shutdownOutput();

    /** Read buffers adapt between 4 KiB and {@link #MAX_CHUNK}; the session never closes on idle. */
    public static void configure(SocketSessionConfig config, boolean tcpNoDelay, boolean keepAlive) {
        config.setTcpNoDelay(tcpNoDelay);
        config.setKeepAlive(keepAlive);
        config.setMinReadBufferSize(4096);
        config.setReadBufferSize(16 * 1024);
        config.setMaxReadBufferSize(MAX_CHUNK);
    }

    /** A stream for a new TCP session. */
    public static MinaByteStream tcpStream(IoSession session, String label, long limit) {
        return new MinaByteStream(session, label, Math.max(limit, 4L * MAX_CHUNK), MAX_CHUNK, TCP_HALF_CLOSE);
    }
}
