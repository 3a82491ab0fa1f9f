package org.netdrivers.registry.internal;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionRecycler;

/**
 * A UDP export's client sessions by client address, for Mina's datagram acceptor (which looks a
 * client's session up for every datagram it reads, and forgets it when the session is closed).
 * Nothing here expires a session: each ends after {@code udp_idle_timeout_s} without a datagram
 * either way, by Mina's idle check of the session (the acceptor's loop, once a second), which its
 * stream answers by ending.
 *
 * <p>Why not Mina's {@code ExpiringSessionRecycler}: it closes a session a fixed time after the
 * client's last datagram, however many the device sent the client meanwhile, so a client that
 * asks once and then listens was cut off; and each one runs a thread of its own, so each UDP
 * export in use kept a thread for it.
 */
final class ClientSessions implements IoSessionRecycler {
    private record Key(SocketAddress client, int localPort) {
    }

    private final Map<Key, IoSession> sessions = new ConcurrentHashMap<>();

    @Override
    public void put(IoSession session) {
        sessions.put(key(session), session);
    }

    @Override
    public IoSession recycle(SocketAddress remoteAddress, int port) {
        return sessions.get(new Key(remoteAddress, port));
    }

    @Override
    public void remove(IoSession session) {
        sessions.remove(key(session), session);
    }

    private static Key key(IoSession session) {
        return new Key(session.getRemoteAddress(), ((java.net.InetSocketAddress) session.getLocalAddress()).getPort());
    }
}
