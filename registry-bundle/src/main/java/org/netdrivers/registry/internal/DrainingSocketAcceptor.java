package org.netdrivers.registry.internal;

import java.nio.channels.ServerSocketChannel;
import java.util.Iterator;

import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;

/**
 * Mina's TCP acceptor, taking every connection waiting in the backlog at each wake-up. Mina's own
 * loop accepts one connection per select (its {@code processHandles}), so a burst of connects
 * costs one {@code epoll_wait} each on the acceptor thread. This overrides that protected step,
 * Mina's extension point, with the same three calls per connection (accept, initSession, add
 * to its processor), repeated until the backlog is empty or {@link #MOST_PER_WAKEUP} were taken.
 */
final class DrainingSocketAcceptor extends NioSocketAcceptor {
    /** A bound per wake-up, so that an endless stream of connects cannot keep the thread from unbinding. */
    static final int MOST_PER_WAKEUP = 4096;

    private final IoProcessor<NioSession> processor;

    DrainingSocketAcceptor(IoProcessor<NioSession> processor) {
        super(processor);
        this.processor = processor;
    }

    @Override
    protected void processHandles(Iterator<ServerSocketChannel> handles) throws Exception {
        while (handles.hasNext()) {
            ServerSocketChannel handle = handles.next();
            handles.remove();
            for (int i = 0; i < MOST_PER_WAKEUP; i++) {
                NioSession session = accept(processor, handle);
                if (session == null) {
                    break; // the backlog is empty
                }
                initSession(session, null, null);
                session.getProcessor().add(session);
            }
        }
    }
}
