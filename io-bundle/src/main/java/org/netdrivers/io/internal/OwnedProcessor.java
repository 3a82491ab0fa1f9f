package org.netdrivers.io.internal;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.transport.socket.DatagramSessionConfig;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Mina NIO processor on a thread of its own that knows that thread: a change of a session's
 * read or write suspension made elsewhere is handed to it ({@code updateTrafficMask}, which wakes
 * it), and applied there.
 *
 * <p>Applied here, the write interest also counts the request the processor is writing: Mina's
 * own {@code updateTrafficControl} looks at the write queue alone, which is empty while the last
 * request is only partly written, so a suspension or resumption at that moment dropped the
 * interest in writing the rest and the session never wrote again.
 */
final class OwnedProcessor extends NioProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(OwnedProcessor.class);
    private final OwnerExecutor executor;
    private boolean pollNext; // owner thread only

    private final PeerErrors peerErrors;

    OwnedProcessor(String threadName, PeerErrors peerErrors) {
        this(new OwnerExecutor(threadName), peerErrors);
    }

    private OwnedProcessor(OwnerExecutor executor, PeerErrors peerErrors) {
        super(executor);
        this.executor = executor;
        this.peerErrors = peerErrors;
    }

    /**
     * One thread, which it remembers while it runs Mina's loop, and how busy that loop is lately
     * (Mina ends the loop while the processor has no session: the thread then counts as waiting).
     */
    private static final class OwnerExecutor implements Executor {
        private final ExecutorService thread;
        private final BusyTime busyTime = new BusyTime();
        private volatile Thread owner;

        OwnerExecutor(String name) {
            thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                // Mina's loop ends on an error of its own (a handler's is contained by HandlerGuard);
                // its sessions are then without service: say so where the runtime's log is read
                t.setUncaughtExceptionHandler((dead, e) -> LOG.error("I/O thread {} ended by an error; the sessions "
                        + "it served get no service until the io bundle is restarted", dead.getName(), e));
                return t;
            });
        }

        @Override
        public void execute(Runnable loop) {
            thread.execute(() -> {
                owner = Thread.currentThread();
                IoThreadBuffers.markCurrentThread();
                busyTime.awake();
                try {
                    loop.run();
                } finally {
                    busyTime.waiting();
                }
            });
        }
    }

    /** @return whether the calling thread runs this processor */
    boolean isOwner() {
        return executor.owner == Thread.currentThread();
    }

    @Override
    public void updateTrafficControl(NioSession session) {
        if (!isOwner()) {
            updateTrafficMask(session); // applied on the owner thread, which this wakes
            return;
        }
        try {
            setInterestedInRead(session, !session.isReadSuspended());
        } catch (Exception e) {
            session.getFilterChain().fireExceptionCaught(e);
        }
        try {
            boolean pending = session.getCurrentWriteRequest() != null || !session.getWriteRequestQueue().isEmpty(session);
            setInterestedInWrite(session, pending && !session.isWriteSuspended());
        } catch (Exception e) {
            session.getFilterChain().fireExceptionCaught(e);
        }
    }

    /**
     * A wake-up asked for on the processor's own thread (a write or flush from an event handler,
     * such as a relay writing what it just read) needs no signal through the selector: the loop
     * is awake. The next select then only polls, so that nothing asked for waits for a timeout.
     */
    @Override
    protected void wakeup() {
        if (isOwner()) {
            wakeupCalled.set(true); // Mina's loop: a select that returns nothing was asked for, not a spin
            pollNext = true;
            return;
        }
        super.wakeup();
    }

    @Override
    protected int select(long timeout) throws Exception {
        if (pollNext) {
            pollNext = false;
            selectorLock.readLock().lock();
            try {
                return selector.selectNow();
            } finally {
                selectorLock.readLock().unlock();
            }
        }
        executor.busyTime.waiting();
        try {
            return super.select(timeout);
        } finally {
            executor.busyTime.awake();
        }
    }

    /** @return the share of its recent time this processor's thread spent working ({@link BusyTime}) */
    double busyShare() {
        return executor.busyTime.share();
    }

    /**
     * Mina's processor reads a session it finds readable and not suspended, and allocates the
     * buffer for that read first: that buffer comes from this thread's pool ({@link IoThreadBuffers}).
     */
    @Override
    protected boolean isReadable(NioSession session) {
        boolean readable = super.isReadable(session);
        if (readable && !session.isReadSuspended()) {
            IoThreadBuffers.readFollows();
        }
        return readable;
    }

    /**
     * A read that fails (the peer reset the connection) closes the session and tells its handler,
     * as Mina does, but is counted in {@link PeerErrors} instead of Mina's ERROR line.
     */
    @Override
    protected int read(NioSession session, IoBuffer buf) throws Exception {
        try {
            return super.read(session, buf);
        } catch (PortUnreachableException e) {
            if (goesOnWhenUnreachable(session)) {
                peerErrors.refused(session.getRemoteAddress(), "read");
            }
            throw e; // Mina tells the handler, and closes the session only if its configuration asks
        } catch (IOException e) {
            return peerFailed(session, "read", e);
        }
    }

    /**
     * A write that fails (a broken pipe) closes the session, counted as for {@link #read}.
     *
     * <p>A connected datagram socket reports a destination's ICMP port unreachable, which an
     * earlier datagram drew, at its next read or write; that write fails and the socket's error is
     * cleared. Mina logs every failed write as an ERROR and closes the session, whatever its
     * {@code closeOnPortUnreachable}: for a session that goes on, the refusal is counted and the
     * datagram written again (or, should another refusal come first, left queued for Mina's next
     * turn).
     */
    @Override
    protected int write(NioSession session, IoBuffer buf, int length) throws IOException {
        try {
            return super.write(session, buf, length);
        } catch (PortUnreachableException e) {
            if (!goesOnWhenUnreachable(session)) {
                throw e;
            }
            peerErrors.refused(session.getRemoteAddress(), "write");
            try {
                return super.write(session, buf, length);
            } catch (PortUnreachableException again) {
                peerErrors.refused(session.getRemoteAddress(), "write");
                return 0;
            }
        } catch (IOException e) {
            return peerFailed(session, "write", e);
        }
    }

    /**
     * Mina gives each new session a copy of its service's configuration, but its datagram
     * configuration's copy leaves out {@code closeOnPortUnreachable} (Mina 2.2.10's
     * {@code AbstractDatagramSessionConfig.setAll}): every datagram session would close at a
     * refusal, with an ERROR line, whatever its connector was told. The processor copies that
     * setting when it takes the session.
     */
    @Override
    protected void init(NioSession session) throws Exception {
        if (session.getConfig() instanceof DatagramSessionConfig own
                && session.getService().getSessionConfig() instanceof DatagramSessionConfig asked) {
            own.setCloseOnPortUnreachable(asked.isCloseOnPortUnreachable());
        }
        super.init(session);
    }

    private static boolean goesOnWhenUnreachable(NioSession session) {
        return session.getConfig() instanceof DatagramSessionConfig c && !c.isCloseOnPortUnreachable();
    }

    /**
     * A TCP session's read or write failed: counted, the session closed, its handler told; 0
     * bytes for Mina. A datagram session rethrows: Mina ends it and tells its handler.
     */
    private int peerFailed(NioSession session, String what, IOException e) throws IOException {
        if (!(session.getChannel() instanceof SocketChannel)) {
            throw e;
        }
        peerErrors.count(what, e);
        session.closeNow();
        session.getFilterChain().fireExceptionCaught(e);
        return 0;
    }

    /** Closes the processor's sessions and selector, then ends its thread. */
    void shutdown() {
        dispose();
        executor.thread.shutdown();
    }
}
