package org.netdrivers.registry.internal;

import java.io.IOException;

import org.apache.mina.core.service.IoAcceptor;
import org.apache.mina.core.session.ExpiringSessionRecycler;
import org.apache.mina.transport.socket.nio.NioDatagramAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;

/**
 * TCP and UDP listeners: a Mina acceptor; UDP gets one client session per client address. TCP
 * connections are served by the runtime's I/O threads, where a relay can splice them with the
 * driver sessions that serve them.
 */
final class MinaListener implements Listener {
    private final IoAcceptor acceptor;

    private MinaListener(IoAcceptor acceptor) {
        this.acceptor = acceptor;
    }

    static MinaListener bind(ListenAddress listen, ExportSettings context, long clientLimit, Accepted accepted) throws IOException {
        IoAcceptor a;
        if (listen.isUdp()) {
            NioDatagramAcceptor udp = new NioDatagramAcceptor();
            udp.getSessionConfig().setReuseAddress(true);
            MinaTransports.configureDatagram(udp.getSessionConfig(), context.udpIdleSeconds());
            udp.setSessionRecycler(new ExpiringSessionRecycler(context.udpIdleSeconds(), 1));
            int max = MinaTransports.udpMax(listen.socketAddress());
            udp.setHandler(new StreamIoHandler(
                    session -> MinaTransports.udpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                            clientLimit, max, true),
                    stream -> accepted.accept(stream, stream.session().getRemoteAddress())));
            a = udp;
        } else {
            NioSocketAcceptor tcp = new NioSocketAcceptor(context.io().processor());
            tcp.setReuseAddress(true);
            tcp.setBacklog(context.backlog());
            MinaTransports.configure(tcp.getSessionConfig(), true, false, context.socketBufferBytes());
            tcp.setHandler(new StreamIoHandler(
                    session -> MinaTransports.tcpStream(session, "export " + listen + " client " + session.getRemoteAddress(),
                            clientLimit),
                    stream -> accepted.accept(stream, stream.session().getRemoteAddress())));
            a = tcp;
        }
        a.setCloseOnDeactivation(true);
        try {
            a.bind(listen.socketAddress());
        } catch (IOException | RuntimeException e) {
            a.dispose(false);
            throw e;
        }
        return new MinaListener(a);
    }

    @Override
    public void close() {
        acceptor.unbind();
        acceptor.dispose(false);
    }
}
