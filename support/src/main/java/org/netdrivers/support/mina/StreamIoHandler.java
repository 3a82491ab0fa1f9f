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

    private static final String SECURED = StreamIoHandler.class.getName() + ".secured";

    private final Function<IoSession, MinaByteStream> factory;
    private final Consumer<MinaByteStream> onOpened;
    private final java.util.function.BiConsumer<IoSession, Throwable> onRefused; // TLS sessions only, else null

    /**
     * @param factory makes the stream of a new session
     * @param onOpened called once the session is open (acceptors start their work here)
     */
    public StreamIoHandler(Function<IoSession, MinaByteStream> factory, Consumer<MinaByteStream> onOpened) {
        this(factory, onOpened, null);
    }

    /**
     * For sessions behind a TLS filter: a session counts as open once its handshake is done.
     *
     * @param onOpened called once the TLS handshake is done (the peer's certificate is known)
     * @param onRefused called instead when the session fails or closes before that (the handshake
     *     failed: an untrusted or missing client certificate, or a client that is not TLS)
     */
    public StreamIoHandler(Function<IoSession, MinaByteStream> factory, Consumer<MinaByteStream> onOpened,
            java.util.function.BiConsumer<IoSession, Throwable> onRefused) {
        this.factory = factory;
        this.onOpened = onOpened;
        this.onRefused = onRefused;
    }

    @Override
    public void event(IoSession session, org.apache.mina.filter.FilterEvent event) {
        if (onRefused != null && event == org.apache.mina.filter.ssl.SslEvent.SECURED
                && session.setAttributeIfAbsent(SECURED, Boolean.TRUE) == null) {
            onOpened.accept(stream(session));
        }
    }

    /** A TLS session that failed or closed before its handshake was done: the refusal is told once. */
    private boolean refusedBeforeSecured(IoSession session, Throwable cause) {
        if (onRefused == null || session.containsAttribute(SECURED)) {
            return false;
        }
        if (session.setAttributeIfAbsent(SECURED, Boolean.FALSE) == null) {
            onRefused.accept(session, cause);
        }
        return true;
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
        if (onRefused == null) {
            onOpened.accept(stream(session));
        }
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
        if (refusedBeforeSecured(session, cause)) {
            session.closeNow();
            MinaByteStream s = stream(session);
            if (s != null) {
                s.close();
            }
            return;
        }
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
        refusedBeforeSecured(session, null);
        MinaByteStream s = stream(session);
        if (s != null) {
            s.onSessionClosed();
        }
    }
}
