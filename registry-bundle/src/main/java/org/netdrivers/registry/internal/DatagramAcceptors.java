package org.netdrivers.registry.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

import org.apache.mina.core.service.IoHandler;
import org.apache.mina.transport.socket.nio.NioDatagramAcceptor;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.mina.MinaTransports;

/**
 * The datagram acceptors of the registry's udp:// exports: a few shared, as many as the runtime
 * has I/O threads at most, so that UDP exports take no thread each (an acceptor each took a thread
 * each), while their data, which a datagram acceptor's thread reads and writes itself, still
 * spreads over as many threads as TCP's does.
 *
 * <p>A new export goes to the acceptor with the fewest exports, a new acceptor while there are
 * fewer than that number. Within one acceptor a port serves one export only: Mina's datagram
 * acceptor finds a client's session by client address and local port ({@link ClientSessions}), so
 * two exports of one port on two addresses would share their clients' sessions. Such an export
 * goes to another acceptor, and to one of its own where every shared one holds its port. A
 * session goes to the handler of the export whose port it came to ({@link BindingDispatcher}).
 * Each acceptor's thread ({@code IoThreads.acceptorExecutor()}) runs while one of its addresses
 * is bound, and ends when none is.
 */
final class DatagramAcceptors {
    private final IoThreads io;
    private final int shared;
    private final IntSupplier idleSeconds;
    private final IntSupplier socketBufferBytes;
    /** Guarded by this, as is {@link #stopping}. */
    private final List<Acceptor> pool = new ArrayList<>();
    private boolean stopping;

    /**
     * @param shared how many acceptors the exports share at most
     * @param idleSeconds the registry's udp_idle_timeout_s as it is now (for an acceptor made now)
     * @param socketBufferBytes the registry's udp_socket_buffer_bytes as it is now (for an acceptor made now, and
     *     each new export's socket)
     */
    DatagramAcceptors(IoThreads io, int shared, IntSupplier idleSeconds, IntSupplier socketBufferBytes) {
        this.io = io;
        this.shared = Math.max(1, shared);
        this.idleSeconds = idleSeconds;
        this.socketBufferBytes = socketBufferBytes;
    }

    /** One Mina datagram acceptor and the exports it listens for, by port. */
    private final class Acceptor {
        final NioDatagramAcceptor mina;
        final Map<Integer, Binding> byPort = new ConcurrentHashMap<>();
        /** An acceptor of one export's own, disposed of when the export stops. */
        final boolean own;

        Acceptor(boolean own) {
            this.own = own;
            mina = new NioDatagramAcceptor(io.acceptorExecutor());
            mina.getSessionConfig().setReuseAddress(true);
            MinaTransports.configureDatagram(mina.getSessionConfig(), idleSeconds.getAsInt(), socketBufferBytes.getAsInt());
            mina.setSessionRecycler(new ClientSessions());
            mina.setCloseOnDeactivation(false); // an export closes its own sessions (Binding.close)
            mina.setHandler(new BindingDispatcher(session -> byPort.get(((InetSocketAddress) session.getLocalAddress()).getPort())));
        }
    }

    /** One export's address on an acceptor, and the handler of its sessions. */
    final class Binding extends BindingDispatcher.Route {
        private final Acceptor acceptor;
        /**
         * The address as Mina reports it bound, which its unbind needs: Mina 2.2 reports an IPv6
         * address of the IPv4-compatible form as IPv4 ({@code [::1]} as {@code 0.0.0.1}).
         */
        private SocketAddress bound;

        private Binding(Acceptor acceptor, InetSocketAddress address, IoHandler handler) {
            super(address, handler);
            this.acceptor = acceptor;
        }

        /** Stops listening, then closes the export's client sessions (and its own acceptor, if it has one). */
        @Override
        void close() {
            closed = true;
            synchronized (DatagramAcceptors.this) {
                if (acceptor.byPort.get(address.getPort()) == this) {
                    acceptor.mina.unbind(bound); // waits for Mina's thread to close the socket
                    acceptor.byPort.remove(address.getPort(), this);
                }
            }
            BindingDispatcher.closeSessions(acceptor.mina, this);
            if (acceptor.own) {
                acceptor.mina.dispose(false);
            }
        }
    }

    /**
     * Listens on {@code address}; its client sessions go to {@code handler}.
     *
     * @throws IOException the address cannot be bound (Mina's bind, which names the address)
     */
    synchronized Binding bind(InetSocketAddress address, IoHandler handler) throws IOException {
        if (stopping) {
            throw new IOException("the registry is stopping");
        }
        Acceptor at = place(address.getPort());
        Binding b = new Binding(at, address, handler);
        at.byPort.put(address.getPort(), b);
        Set<SocketAddress> before = new HashSet<>(at.mina.getLocalAddresses());
        // the new socket gets the registry's sizes as they are now (the acceptor may be older)
        MinaTransports.socketBuffers(at.mina.getSessionConfig(), socketBufferBytes.getAsInt());
        try {
            at.mina.bind(address);
            b.bound = at.mina.getLocalAddresses().stream().filter(a -> !before.contains(a)).findFirst().orElse(address);
        } catch (IOException | RuntimeException e) {
            at.byPort.remove(address.getPort(), b);
            if (at.own) {
                at.mina.dispose(false);
            }
            throw e;
        }
        return b;
    }

    /** The acceptor for a new export on {@code port}. */
    private Acceptor place(int port) {
        Acceptor fewest = null;
        for (Acceptor a : pool) {
            if (!a.byPort.containsKey(port) && (fewest == null || a.byPort.size() < fewest.byPort.size())) {
                fewest = a;
            }
        }
        if ((fewest == null || !fewest.byPort.isEmpty()) && pool.size() < shared) {
            Acceptor a = new Acceptor(false);
            pool.add(a);
            return a;
        }
        return fewest != null ? fewest : new Acceptor(true);
    }

    /** Closes every client session and releases the shared acceptors (the registry stops; its exports have stopped). */
    synchronized void close() {
        stopping = true;
        for (Acceptor a : pool) {
            BindingDispatcher.closeSessions(a.mina, null);
            a.mina.dispose(false);
        }
        pool.clear();
    }
}
