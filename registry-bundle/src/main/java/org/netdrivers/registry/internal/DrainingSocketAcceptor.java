package org.netdrivers.registry.internal;

import java.nio.channels.ServerSocketChannel;
import java.util.Iterator;
import java.util.function.BiConsumer;

import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;

/**
 * Mina's TCP acceptor, taking every connection waiting in a listening socket's backlog at each
 * wake-up, and telling which listening socket accepted each connection. Mina's own loop accepts
 * one connection per select (its {@code processHandles}), so a burst of connects costs one
 * {@code epoll_wait} each on the acceptor thread, and it does not say which of an acceptor's
 * addresses a session came in on. This overrides that protected step, Mina's extension point,
 * with the same three calls per connection (accept, initSession, add to its processor), and
 * {@code onAccepted} between the last two, repeated until the backlog is empty or
 * {@link #MOST_PER_SOCKET} were taken.
 */
final class DrainingSocketAcceptor extends NioSocketAcceptor {
    /**
     * A bound per listening socket and wake-up: a storm of connects to one address delays another
     * address of the same acceptor by at most this many accepts, and cannot keep the thread from
     * unbinding. The rest of the backlog is taken at the next wake-up, which comes at once.
     */
    static final int MOST_PER_SOCKET = 256;

    private final IoProcessor<NioSession> processor;
    private final BiConsumer<NioSession, ServerSocketChannel> onAccepted;
    private volatile int nextBacklog;

    /** @param onAccepted told of each new session, with the listening socket it came from, before its processor has it */
    DrainingSocketAcceptor(IoProcessor<NioSession> processor, BiConsumer<NioSession, ServerSocketChannel> onAccepted) {
        super(processor);
        this.processor = processor;
        this.onAccepted = onAccepted;
    }

    /**
     * The backlog of the next address bound: Mina reads {@link #getBacklog()} when it opens each
     * listening socket, and refuses {@code setBacklog} while the acceptor listens on an address.
     * The caller binds after this, and no other bind comes in between.
     */
    void backlogOfNextBind(int backlog) {
        nextBacklog = backlog;
    }

    @Override
    public int getBacklog() {
        int b = nextBacklog;
        return b > 0 ? b : super.getBacklog();
    }

    @Override
    protected void processHandles(Iterator<ServerSocketChannel> handles) throws Exception {
        while (handles.hasNext()) {
            ServerSocketChannel handle = handles.next();
            handles.remove();
            for (int i = 0; i < MOST_PER_SOCKET; i++) {
                NioSession session = accept(processor, handle);
                if (session == null) {
                    break; // the backlog is empty
                }
                initSession(session, null, null);
                onAccepted.accept(session, handle);
                session.getProcessor().add(session);
            }
        }
    }
}
