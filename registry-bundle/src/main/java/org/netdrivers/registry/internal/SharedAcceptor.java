package org.netdrivers.registry.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.mina.core.filterchain.IoFilter;
import org.apache.mina.core.service.IoHandler;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.netdrivers.support.mina.MinaTransports;

/**
 * One Mina TCP acceptor for many exports: it listens on each export's address, and one thread
 * accepts for all of them, however many exports there are (an acceptor each took a thread each).
 * The accepted connections go to the runtime's I/O threads as before. Each address has its own
 * handler ({@link #bind}): a session goes to the handler of the listening socket that accepted it
 * ({@link BindingDispatcher}).
 *
 * <p>The registry has one for its tcp:// exports and one, with the TLS filter in its chain, for
 * its tls:// exports ({@link ExportSettings}). Settings an acceptor holds for all its addresses are
 * the registry's alike for all exports: the socket options of new sessions, the TLS identity. The
 * backlog is each address's own (the registry's when it binds). Mina's thread runs while an
 * address is bound, and ends when none is.
 */
final class SharedAcceptor {
    private final DrainingSocketAcceptor acceptor;
    /** By the address the listening socket reports, which is the one bound. */
    private final Map<SocketAddress, Binding> bindings = new ConcurrentHashMap<>();
    private final Object binding = new Object(); // one bind or unbind at a time: the backlog is set before
    private final org.netdrivers.io.EventCounter unbound = new org.netdrivers.io.EventCounter(60_000, true);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SharedAcceptor.class);

    /** @param tls the filter first in every session's chain (tls:// exports), or null */
    SharedAcceptor(IoProcessor<NioSession> processor, int socketBufferBytes, IoFilter tls) {
        acceptor = new DrainingSocketAcceptor(processor, this::accepted);
        acceptor.setReuseAddress(true);
        acceptor.setCloseOnDeactivation(false); // an export closes its own sessions (Binding.close)
        MinaTransports.configure(acceptor.getSessionConfig(), true, socketBufferBytes);
        if (tls != null) {
            acceptor.getFilterChain().addLast("tls", tls);
        }
        acceptor.setHandler(new BindingDispatcher(session -> null)); // routed when accepted
    }

    /** One address of the acceptor, and the handler of its sessions. */
    final class Binding extends BindingDispatcher.Route {
        private Binding(InetSocketAddress address, IoHandler handler) {
            super(address, handler);
        }

        /**
         * Stops listening, then closes the address's sessions: open ones, and any accepted but not
         * yet created (the dispatcher closes those as they come, once this is closed).
         */
        @Override
        void close() {
            closed = true;
            synchronized (binding) {
                if (bindings.get(address) == this) {
                    acceptor.unbind(address); // waits for Mina's thread to close the listening socket
                    bindings.remove(address, this); // after: whatever that socket accepted finds this binding
                }
            }
            BindingDispatcher.closeSessions(acceptor, this);
        }
    }

    /**
     * Listens on {@code address} too; its sessions go to {@code handler}.
     *
     * @param backlog connections the kernel queues for this address
     * @throws IOException the address cannot be bound (Mina's bind, which names the address)
     */
    Binding bind(InetSocketAddress address, int backlog, IoHandler handler) throws IOException {
        Binding b = new Binding(address, handler);
        synchronized (binding) {
            if (bindings.putIfAbsent(address, b) != null) {
                throw new IOException(address + " is already bound by another export");
            }
            try {
                acceptor.backlogOfNextBind(backlog);
                acceptor.bind(address);
            } catch (IOException | RuntimeException e) {
                bindings.remove(address, b);
                throw e;
            }
        }
        return b;
    }

    /** Closes every session it accepted and releases the acceptor (the registry stops). */
    void close() {
        BindingDispatcher.closeSessions(acceptor, null);
        acceptor.dispose(false);
    }

    /**
     * On Mina's acceptor thread: marks a new session with the binding of the socket that accepted
     * it. A socket without one (it is closing: its export stopped) leaves the session unmarked,
     * and the dispatcher closes it; one that is open yet bound to no export would be a defect
     * here, and says so (a WARN a minute at most, with the count).
     */
    private void accepted(NioSession session, ServerSocketChannel handle) {
        Binding b = null;
        SocketAddress local = null;
        try {
            local = handle.getLocalAddress();
            b = bindings.get(local);
            if (b == null && local instanceof InetSocketAddress at) {
                // a wildcard bound as 0.0.0.0 may report itself as :: (or the reverse): the port decides
                for (Binding any : bindings.values()) {
                    if (any.address.getAddress().isAnyLocalAddress() && any.address.getPort() == at.getPort()) {
                        b = any;
                    }
                }
            }
        } catch (IOException closing) {
            // the listening socket is closing: the dispatcher closes the session
        }
        if (b != null) {
            BindingDispatcher.route(session, b);
            return;
        }
        if (local != null && handle.isOpen()) {
            org.netdrivers.io.EventCounter.Due due = unbound.count();
            if (due != null) {
                LOG.warn("a connection accepted on {} was closed: no export is bound there (a defect of the registry's"
                        + " shared acceptor); {} in the last {} s, {} in all", local, due.count(), due.seconds(), due.total());
            }
        }
    }
}
