package org.netdrivers.io.internal;

import java.util.Optional;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.transport.socket.nio.NioSession;
import org.netdrivers.io.IoThreads;
import org.netdrivers.io.Relay;
import org.netdrivers.io.SessionStream;

/** The I/O threads: a pool of owned Mina processors, and relays between sessions of one thread. */
public final class IoThreadsService implements IoThreads, AutoCloseable {
    private final AffinityPool pool;

    /** @param name the threads' names, numbered from 1 */
    public IoThreadsService(String name, int threads) {
        pool = new AffinityPool(name, threads);
    }

    @Override
    public IoProcessor<NioSession> processor() {
        return pool;
    }

    @Override
    public IoSessionInitializer<ConnectFuture> joinCallingThread() {
        return pool.joinCallingThread();
    }

    @Override
    public boolean isIoThread() {
        return pool.current() != null;
    }

    @Override
    public Optional<Relay> relay(SessionStream a, SessionStream b, int window) {
        IoSession sa = a.session();
        IoSession sb = b.session();
        if (!pool.ownedByCaller(sa) || !pool.ownedByCaller(sb) || !usable(sa) || !usable(sb)) {
            return Optional.empty();
        }
        SessionRelay relay = new SessionRelay(sa, sb, window);
        relay.start(a.handOver(), b.handOver());
        return Optional.of(relay);
    }

    private static boolean usable(IoSession s) {
        // a byte stream (TCP), not datagrams; not closing; not spliced already
        return s.getTransportMetadata().hasFragmentation() && s.isConnected() && !s.isClosing()
                && s.getFilterChain().get(SessionRelay.FILTER) == null;
    }

    /** Closes every session served by these threads and ends them. */
    @Override
    public void close() {
        pool.shutdown();
    }
}
