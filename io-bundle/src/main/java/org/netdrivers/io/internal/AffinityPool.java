package org.netdrivers.io.internal;


import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.core.write.WriteRequest;
import org.apache.mina.transport.socket.nio.NioSession;

/**
 * The processor pool every acceptor and connector of the runtime shares: a session goes to the
 * processor its connect asked for ({@link #joinCallingThread()}), else to the least busy processor
 * ({@link LeastBusy}: among about as busy ones, each in turn), and stays there. Every session gets a {@link HandlerGuard} first in its chain: an error in a
 * bundle's handler closes that session and leaves the thread serving the others.
 */
final class AffinityPool implements IoProcessor<NioSession> {
    private static final AttributeKey OWNER = new AttributeKey(AffinityPool.class, "owner");
    private static final AttributeKey JOIN = new AttributeKey(AffinityPool.class, "join");

    private final OwnedProcessor[] processors;
    private final LeastBusy placement;
    private final HandlerGuard guard = new HandlerGuard();
    private volatile boolean disposed;

    AffinityPool(String name, int threads) {
        processors = new OwnedProcessor[threads];
        PeerErrors peerErrors = new PeerErrors(10_000);
        for (int i = 0; i < threads; i++) {
            processors[i] = new OwnedProcessor(name + "-" + (i + 1), peerErrors);
        }
        placement = new LeastBusy(threads, i -> processors[i].busyShare());
    }

    /** @return each processor's {@link OwnedProcessor#busyShare()}, in order */
    double[] busyShares() {
        return placement.shares();
    }

    /** @return the processor whose thread calls, or null */
    OwnedProcessor current() {
        for (OwnedProcessor p : processors) {
            if (p.isOwner()) {
                return p;
            }
        }
        return null;
    }

    /** @return the processor that serves {@code session}; placing the session now if it has none */
    OwnedProcessor ownerOf(IoSession session) {
        OwnedProcessor p = (OwnedProcessor) session.getAttribute(OWNER);
        if (p != null) {
            return p;
        }
        Object join = session.getAttribute(JOIN);
        p = join instanceof OwnedProcessor ? (OwnedProcessor) join
                : processors[placement.pick()];
        Object earlier = session.setAttributeIfAbsent(OWNER, p);
        return earlier != null ? (OwnedProcessor) earlier : p;
    }

    /** @return whether {@code session} is one of this pool's and is served by the calling thread */
    boolean ownedByCaller(IoSession session) {
        Object owner = session.getAttribute(OWNER);
        return owner instanceof OwnedProcessor && ((OwnedProcessor) owner).isOwner();
    }

    IoSessionInitializer<ConnectFuture> joinCallingThread() {
        OwnedProcessor here = current();
        if (here == null) {
            return (session, future) -> { };
        }
        return (session, future) -> session.setAttribute(JOIN, here);
    }

    @Override
    public void add(NioSession session) {
        if (!session.getFilterChain().contains(HandlerGuard.NAME)) {
            session.getFilterChain().addFirst(HandlerGuard.NAME, guard);
        }
        ownerOf(session).add(session);
    }

    @Override
    public void flush(NioSession session) {
        ownerOf(session).flush(session);
    }

    @Override
    public void write(NioSession session, WriteRequest writeRequest) {
        ownerOf(session).write(session, writeRequest);
    }

    @Override
    public void remove(NioSession session) {
        ownerOf(session).remove(session);
    }

    @Override
    public void updateTrafficControl(NioSession session) {
        ownerOf(session).updateTrafficControl(session);
    }

    @Override
    public boolean isDisposing() {
        return disposed;
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    /**
     * Does nothing: the pool belongs to the I/O threads service, not to the acceptor or connector
     * that uses it ({@link #shutdown()} ends it).
     */
    @Override
    public void dispose() {
    }

    /** Closes every session of the pool and ends its threads. */
    void shutdown() {
        disposed = true;
        for (OwnedProcessor p : processors) {
            p.shutdown();
        }
    }
}
