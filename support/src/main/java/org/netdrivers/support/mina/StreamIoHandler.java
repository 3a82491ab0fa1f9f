package org.netdrivers.support.mina;


import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;

/**
 * The one Mina handler of every connector and acceptor that serves {@link MinaByteStream}s: it
 * creates the stream when the session is created and forwards the session's events to it.
 */
public final class StreamIoHandler extends IoHandlerAdapter {
    private static final String STREAM = MinaByteStream.class.getName();

    private final Function<IoSession, MinaByteStream> factory;
    private final Consumer<MinaByteStream> onOpened;

    /**
     * @param factory makes the stream of a new session
     * @param onOpened called once the session is open (acceptors start their work here)
     */
    public StreamIoHandler(Function<IoSession, MinaByteStream> factory, Consumer<MinaByteStream> onOpened) {
        this.factory = factory;
        this.onOpened = onOpened;
    }

    /** @return the stream of a session this handler serves */
    public static MinaByteStream stream(IoSession session) {
        return (MinaByteStream) session.getAttribute(STREAM);
    }

    @Override
    public void sessionCreated(IoSession session) {
        session.setAttribute(STREAM, factory.apply(session));
    }

    @Override
    public void sessionOpened(IoSession session) {
        onOpened.accept(stream(session));
    }

    @Override
    public void messageReceived(IoSession session, Object message) {
        stream(session).onMessage((org.apache.mina.core.buffer.IoBuffer) message);
    }

    @Override
    public void inputClosed(IoSession session) {
        stream(session).onInputClosed();
    }

    @Override
    public void exceptionCaught(IoSession session, Throwable cause) {
        MinaByteStream s = stream(session);
        if (s != null) {
            s.onException(cause);
        } else {
            session.closeNow();
        }
    }

    @Override
    public void sessionIdle(IoSession session, org.apache.mina.core.session.IdleStatus status) {
        MinaByteStream s = stream(session);
        if (s != null) {
            s.onIdle();
        }
    }

    @Override
    public void sessionClosed(IoSession session) {
        MinaByteStream s = stream(session);
        if (s != null) {
            s.onSessionClosed();
        }
    }
}
