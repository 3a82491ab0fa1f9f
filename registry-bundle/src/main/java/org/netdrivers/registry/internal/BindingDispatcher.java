package org.netdrivers.registry.internal;

import java.net.InetSocketAddress;

import org.apache.mina.core.service.IoHandler;
import org.apache.mina.core.service.IoService;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.FilterEvent;

/**
 * The handler of an acceptor that listens for many exports ({@link SharedAcceptor} for TCP and
 * TLS, {@link DatagramAcceptors} for UDP): every session's events go to the handler of the export
 * whose address it came through, its {@link Route}, kept in the session. A session without a route,
 * or whose route is closed (its export stopped), is closed when it is created, and none of its
 * events go anywhere.
 */
final class BindingDispatcher implements IoHandler {
    /** One export's address on an acceptor, where its sessions go. */
    abstract static class Route {
        final InetSocketAddress address;
        final IoHandler handler;
        /** The export stopped: sessions that come now are closed. */
        volatile boolean closed;

        Route(InetSocketAddress address, IoHandler handler) {
            this.address = address;
            this.handler = handler;
        }

        /** Stops listening on the address, then closes its sessions. */
        abstract void close();
    }

    private static final AttributeKey ROUTE = new AttributeKey(BindingDispatcher.class, "route");

    /** Finds the route of a new session that has none yet (UDP: by its local address), or null. */
    interface Finder {
        Route find(IoSession session);
    }

    private final Finder finder;

    BindingDispatcher(Finder finder) {
        this.finder = finder;
    }

    /** Gives a new session its route before it is created (TCP: the listening socket that accepted it). */
    static void route(IoSession session, Route route) {
        session.setAttribute(ROUTE, route);
    }

    /** @return whether {@code session} goes to {@code route} */
    static boolean goesTo(IoSession session, Route route) {
        return session.getAttribute(ROUTE) == route;
    }

    /** Closes the sessions of {@code service} that go to {@code only}; all of them when it is null. */
    static void closeSessions(IoService service, Route only) {
        for (IoSession s : service.getManagedSessions().values()) {
            if (only == null || goesTo(s, only)) {
                s.closeNow();
            }
        }
    }

    /** One event, as told to a handler. */
    @FunctionalInterface
    private interface Event {
        void tell(IoHandler handler) throws Exception;
    }

    /** Tells the session's handler; a session without one (closed when created) is closed again if {@code orClose}. */
    private static void forward(IoSession session, boolean orClose, Event event) throws Exception {
        Route r = (Route) session.getAttribute(ROUTE);
        if (r != null) {
            event.tell(r.handler);
        } else if (orClose) {
            session.closeNow();
        }
    }

    @Override
    public void sessionCreated(IoSession session) throws Exception {
        Route r = (Route) session.getAttribute(ROUTE);
        if (r == null) {
            r = finder.find(session);
            if (r != null) {
                session.setAttribute(ROUTE, r);
            }
        }
        if (r == null || r.closed) {
            session.removeAttribute(ROUTE); // none of its events go anywhere
            session.closeNow();
            return;
        }
        r.handler.sessionCreated(session);
    }

    @Override
    public void sessionOpened(IoSession session) throws Exception {
        forward(session, false, h -> h.sessionOpened(session));
    }

    @Override
    public void sessionClosed(IoSession session) throws Exception {
        forward(session, false, h -> h.sessionClosed(session));
    }

    @Override
    public void sessionIdle(IoSession session, IdleStatus status) throws Exception {
        forward(session, false, h -> h.sessionIdle(session, status));
    }

    @Override
    public void exceptionCaught(IoSession session, Throwable cause) throws Exception {
        forward(session, true, h -> h.exceptionCaught(session, cause));
    }

    @Override
    public void messageReceived(IoSession session, Object message) throws Exception {
        forward(session, false, h -> h.messageReceived(session, message));
    }

    @Override
    public void messageSent(IoSession session, Object message) throws Exception {
        forward(session, false, h -> h.messageSent(session, message));
    }

    @Override
    public void inputClosed(IoSession session) throws Exception {
        forward(session, true, h -> h.inputClosed(session));
    }

    @Override
    public void event(IoSession session, FilterEvent event) throws Exception {
        forward(session, false, h -> h.event(session, event));
    }
}
