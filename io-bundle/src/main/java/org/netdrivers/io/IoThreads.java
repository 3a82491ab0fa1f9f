package org.netdrivers.io;

import java.util.Optional;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.transport.socket.nio.NioSession;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The runtime's I/O threads (a service). Each thread runs one Mina processor; a session stays on
 * the thread it was placed on, which reads and writes its socket, applies its read suspension and
 * resumption, and runs its events.
 */
@ProviderType
public interface IoThreads {
    /**
     * The processor pool for Mina socket and datagram connectors and socket acceptors (their
     * constructors that take an {@code IoProcessor}). The pool belongs to this service: disposing
     * of a connector or acceptor leaves it running; when the service goes away its sessions close.
     * A new session goes to the thread its connect named ({@link #joinCallingThread()}), else to
     * the threads in turn.
     */
    IoProcessor<NioSession> processor();

    /**
     * An initializer for {@code IoConnector.connect(address, initializer)}: when called on one of
     * these threads, the session the connect makes is placed on that same thread; called on any
     * other thread, it places nothing (the pool chooses).
     */
    IoSessionInitializer<ConnectFuture> joinCallingThread();

    /** @return whether the calling thread is one of these I/O threads */
    boolean isIoThread();

    /**
     * Splices two streams served by this pool: from now on what one session reads is written to
     * the other on their shared thread, without a queue or a hand-over between threads. Reading
     * stops while the other side holds {@code window} bytes or more not yet written, and resumes
     * when that falls to half; an end of input is carried through as a half-close once everything
     * before it was written; when both directions have ended, or either session fails or closes,
     * both are closed. Chunks each stream had received and not handed out go first.
     *
     * <p>Call on the thread that owns both sessions (for instance from the completion of a connect
     * made with {@link #joinCallingThread()} on an event of the other session).
     *
     * @return the relay; empty, with both streams left as they are, where the two sessions do not
     *         share the calling thread or one is closing: the caller then bridges them as streams
     */
    Optional<Relay> relay(SessionStream a, SessionStream b, int window);
}
