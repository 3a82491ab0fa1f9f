package org.netdrivers.io.internal;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.write.WriteRequest;
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
    /** How long Mina's loop goes on without a session before it ends ({@link #isSelectorEmpty}). */
    static final long IDLE_LOOP_MS = 10_000;
    private final OwnerExecutor executor;
    private final long idleLoopNanos;
    private boolean pollNext; // owner thread only
    /** Sessions whose write on the owner thread asked for a flush since the last select (owner thread only). */
    private final List<NioSession> flushAsked = new ArrayList<>();
    /** The session a write on the owner thread is queueing for, while Mina's {@code write} runs (owner thread only). */
    private NioSession writing;
    /** The TCP session whose last read this turn found the socket's queue empty before the buffer was full (owner thread only). */
    private NioSession drained;
    /** Since when Mina's loop has had no session, in nanoseconds; 0 while it has one, or had one since it last looked (owner thread only). */
    private long emptySince;
    /** Counts for tests; written by the owner thread only. */
    private volatile long polls;
    private volatile long waitsToTheEnd;
    private volatile long socketReads;

    private final PeerErrors peerErrors;

    OwnedProcessor(String threadName, PeerErrors peerErrors) {
        this(threadName, peerErrors, IDLE_LOOP_MS);
    }

    /** @param idleLoopMs how long Mina's loop goes on without a session ({@link #IDLE_LOOP_MS} but in tests) */
    OwnedProcessor(String threadName, PeerErrors peerErrors, long idleLoopMs) {
        this(new OwnerExecutor(threadName), peerErrors, idleLoopMs);
    }

    private OwnedProcessor(OwnerExecutor executor, PeerErrors peerErrors, long idleLoopMs) {
        super(executor);
        this.executor = executor;
        this.peerErrors = peerErrors;
        this.idleLoopNanos = TimeUnit.MILLISECONDS.toNanos(idleLoopMs);
    }

    /**
     * One thread, which it remembers while it runs Mina's loop, and how busy that loop is lately
     * (Mina ends the loop while the processor has no session: the thread then counts as waiting).
     */
    private static final class OwnerExecutor implements Executor {
        private final ExecutorService thread;
        private final BusyTime busyTime = new BusyTime();
        private volatile Thread owner;
        private final AtomicLong loopStarts = new AtomicLong();

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
            loopStarts.incrementAndGet();
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
     * A wake-up asked for on the processor's own thread (a write, a close or a new session from an
     * event handler) needs no signal through the selector: the loop is awake. The next select
     * then only polls, so that nothing asked for waits for a timeout, unless all that was asked
     * for is the flush of sessions that Mina's loop has flushed since ({@link #write}).
     */
    @Override
    protected void wakeup() {
        if (isOwner()) {
            wakeupCalled.set(true); // Mina's loop: a select that returns nothing was asked for, not a spin
            if (writing != null) {
                flushAsked.add(writing);
            } else {
                pollNext = true;
            }
            return;
        }
        super.wakeup();
    }

    /**
     * A write on the owner thread queues the request and asks for the session's flush. Mina's
     * loop flushes every session asked for before its flush step in that same turn, and a
     * session asked for later (by a handler run in the flush, the idle check or a close) is still
     * scheduled for flush when the loop next selects: only then does that select poll instead of
     * waiting. So the relay's write of what it just read costs no extra select.
     */
    @Override
    public void write(NioSession session, WriteRequest writeRequest) {
        if (!isOwner()) {
            super.write(session, writeRequest);
            return;
        }
        NioSession outer = writing;
        writing = session;
        try {
            super.write(session, writeRequest);
        } finally {
            writing = outer;
        }
    }

    @Override
    protected int select(long timeout) throws Exception {
        for (NioSession s : flushAsked) {
            if (s.isScheduledForFlush()) {
                pollNext = true;
                break;
            }
        }
        flushAsked.clear();
        if (pollNext) {
            pollNext = false;
            polls++;
            selectorLock.readLock().lock();
            try {
                return selector.selectNow();
            } finally {
                selectorLock.readLock().unlock();
            }
        }
        executor.busyTime.waiting();
        long start = System.nanoTime();
        int selected;
        try {
            selected = super.select(timeout);
        } finally {
            executor.busyTime.awake();
        }
        if (selected == 0 && System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(timeout)) {
            waitsToTheEnd++;
        }
        return selected;
    }

    /** @return how many times Mina's loop was handed to the processor's thread (for tests) */
    long loopStarts() {
        return executor.loopStarts.get();
    }

    /** @return the selects that only polled, as asked by a wake-up on the processor's own thread (for tests) */
    long polls() {
        return polls;
    }

    /** @return the selects that waited their whole timeout: nothing became ready and nothing woke the loop (for tests) */
    long waitsToTheEnd() {
        return waitsToTheEnd;
    }

    /** @return the reads that asked a socket or datagram channel for bytes (for tests) */
    long socketReads() {
        return socketReads;
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
            drained = null;
        }
        return readable;
    }

    /**
     * Mina reads a TCP session until its buffer is full or a read returns nothing. A read that
     * leaves room in the buffer has taken all the socket held, so the next read of that turn
     * returns nothing without asking the socket (a system call that could only say "nothing
     * yet"); bytes that arrive meanwhile are read at the next turn, as the selector reports them.
     *
     * <p>A read that fails (the peer reset the connection) closes the session and tells its
     * handler, as Mina does, but is counted in {@link PeerErrors} instead of Mina's ERROR line.
     */
    @Override
    protected int read(NioSession session, IoBuffer buf) throws Exception {
        if (session == drained) {
            drained = null;
            return 0;
        }
        try {
            int room = buf.remaining();
            socketReads++;
            int read = super.read(session, buf);
            if (read > 0 && read < room && session.getChannel() instanceof SocketChannel) {
                drained = session;
            }
            return read;
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
        emptySince = 0; // the loop's idle time counts from the last session's end, not from before this one
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
        peerErrors.count(what, session.getRemoteAddress(), e);
        session.closeNow();
        session.getFilterChain().fireExceptionCaught(e);
        return 0;
    }

    /**
     * Mina ends its loop when the processor has no session left, and the next session starts it
     * again: handed to the executor's thread, which Mina renames twice. Connections that come one
     * after another (a client that connects, asks and closes, over and over) paid that each time.
     * The loop now goes on, at one select a second, until it has had no session for
     * {@link #IDLE_LOOP_MS} since its last session ended, or the processor is disposed.
     */
    @Override
    protected boolean isSelectorEmpty() {
        if (!super.isSelectorEmpty()) {
            emptySince = 0;
            return false;
        }
        if (isDisposing()) {
            return true;
        }
        long now = System.nanoTime();
        if (emptySince == 0) {
            emptySince = now;
        }
        if (now - emptySince < idleLoopNanos) {
            return false;
        }
        emptySince = 0;
        return true;
    }

    /** Closes the processor's sessions and selector, then ends its thread. */
    void shutdown() {
        dispose();
        executor.thread.shutdown();
    }
}
