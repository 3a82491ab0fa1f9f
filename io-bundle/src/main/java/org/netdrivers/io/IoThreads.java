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
     * The most one read of a {@link #relay} takes from a socket: 256 KiB, as {@code socat -b262144}.
     * Reads of a relay's Mina sessions are direct buffers of the thread's own, which Mina sizes
     * between 4 KiB and this by what the previous read found.
     */
    int RELAY_CHUNK = 256 * 1024;

    /**
     * The processor pool for Mina socket and datagram connectors and socket acceptors (their
     * constructors that take an {@code IoProcessor}). The pool belongs to this service: disposing
     * of a connector or acceptor leaves it running; when the service goes away its sessions close.
     * A new session goes to the thread its connect named ({@link #joinCallingThread()}), else to
     * the least busy thread (the share of the last 134 to 268 ms it spent working rather than
     * waiting), so that a new connection does not share a thread a bulk transfer keeps busy while
     * another has time; threads about as busy (within a quarter of a thread's time) take turns.
     */
    IoProcessor<NioSession> processor();

    /**
     * An initializer for {@code IoConnector.connect(address, initializer)}: when called on one of
     * these threads, the session the connect makes is placed on that same thread; called on any
     * other thread, it places nothing (the pool chooses).
     */
    IoSessionInitializer<ConnectFuture> joinCallingThread();

    /**
     * A selector loop for JDK socket channels (TCP, Unix-domain paths): the calling thread's when
     * it is one of these loops, so that a stream opened from a loop's event joins that loop; else
     * {@link #nextLoop()}. The loops belong to this service: do not close them.
     */
    SelectorLoop loop();

    /**
     * @return how busy each processor thread has been lately, in order: the share of the last 134
     *         to 268 ms it spent working rather than waiting for its selector, 0 to 1 (what
     *         {@link #processor()} places new sessions by); empty where not measured
     */
    default double[] processorsBusy() {
        return new double[0];
    }

    /** @return the same for each selector loop ({@link #nextLoop()}), in order; empty where not measured */
    default double[] loopsBusy() {
        return new double[0];
    }

    /**
     * @return the least busy of the selector loops, as {@link #processor()} places a session
     *         (loops about as busy take turns), whatever the calling thread: to spread new connections
     */
    SelectorLoop nextLoop();

    /**
     * Splices two streams of one I/O thread: two Mina sessions of {@link #processor()} (TCP), or
     * two channels of one of the {@link #loop()}s. From now on what one side reads is written to
     * the other on that thread, without a queue or a hand-over between threads. A read takes up to
     * {@link #RELAY_CHUNK} bytes. Reading stops while the other side cannot take what was read
     * (Mina sessions: while it holds {@code window} bytes or more not yet written, until that
     * falls to half, so that it holds at most {@code window} plus one read; channels: while one
     * read buffer waits for the other side); an end of input is carried through as a
     * half-close once everything before it was written; when both directions have ended, or
     * either side fails or closes, both are closed. Chunks each stream had received and not
     * handed out go first.
     *
     * <p>Call on the thread that owns both (for instance from the completion of a connect made on
     * an event of the other side, with {@link #joinCallingThread()} or on {@link #loop()}).
     *
     * @return the relay; empty, with both streams left as they are, where the two do not share the
     *         calling thread, are of different kinds, or one is closing or busy: the caller then
     *         bridges them as streams
     */
    Optional<Relay> relay(TransportStream a, TransportStream b, int window);

    /**
     * Runs the loop of a Mina acceptor that reads and writes its sessions itself, on its own
     * thread: {@code new NioDatagramAcceptor(acceptorExecutor())} (the sessions of a datagram
     * acceptor share its socket, so no processor can serve them). That thread reads each datagram
     * into a pooled direct buffer, as the processors' threads read theirs, where Mina's default
     * gives every datagram a zeroed heap buffer of the session's read buffer size (64 KiB for a UDP
     * export) for the JDK to copy into. A stream that keeps a datagram copies its bytes out and frees
     * the buffer, which then goes back to the pool; one never freed is garbage like any other.
     */
    java.util.concurrent.Executor acceptorExecutor();

    /**
     * Runs the workers of Mina connectors, which wait for connections under way to complete or
     * time out: {@code new NioSocketConnector(connectorExecutor(), processor())}. A worker ends
     * once it has no connection under way; a thread ends 5 s after its last worker. This executor
     * is not shut down with a connector: Mina shuts down an executor it made itself when its
     * connector is disposed, which interrupts the worker, and a worker interrupted while a
     * connection is still under way (a device that does not answer) then turns on its selector
     * without waiting, a core's worth of CPU until that connect ends or times out.
     */
    java.util.concurrent.Executor connectorExecutor();

    /**
     * Closes every session of a Mina {@code service} (a driver's connector) and disposes of it
     * after {@code delayMs}, on a thread of this service: a driver that goes away lets its
     * sessions drain meanwhile (answers already on their way still arrive) without holding up its
     * caller (SCR's thread). The close is Mina's own, so it runs whatever became of the caller's
     * bundle meanwhile; the sessions' handlers hear it on their I/O threads. When this service
     * goes away first, the close runs then.
     */
    void disposeLater(org.apache.mina.core.service.IoService service, long delayMs);
}
