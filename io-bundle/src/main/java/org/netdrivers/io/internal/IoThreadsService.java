package org.netdrivers.io.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.SelectorProvider;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.transport.socket.nio.NioSession;
import org.netdrivers.io.ChannelStream;
import org.netdrivers.io.IoThreads;
import org.netdrivers.io.Relay;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.io.SessionStream;
import org.netdrivers.io.TransportStream;

/**
 * The I/O threads: a pool of owned Mina processors and a set of selector loops for JDK channels,
 * and relays between two transports of one thread.
 */
public class IoThreadsService implements IoThreads, AutoCloseable {
    /** Free relay buffers a loop keeps for the next backlog. */
    private static final int RELAY_BUFFERS_KEPT = 16;
    /** Direct relay buffers ({@link #RELAY_CHUNK} each) a loop may have at once (64 MiB); beyond, reads use heap buffers. */
    private static final int RELAY_DIRECT_BUFFERS = 256;

    private final AffinityPool pool;
    private final SelectorLoop[] loops;
    private final Map<SelectorLoop, ChannelRelay.Buffers> buffers = new IdentityHashMap<>();
    private final LeastBusy loopPlacement;
    private final int threads;
    private final java.util.concurrent.atomic.AtomicBoolean buffersReleased = new java.util.concurrent.atomic.AtomicBoolean();
    /** Runs the delayed closes of {@link #disposeLater}; one thread, only while one is pending. */
    private final java.util.concurrent.ScheduledThreadPoolExecutor later;
    /** Runs datagram acceptors' loops ({@link #acceptorExecutor}): a thread per bound acceptor, reading into pooled buffers. */
    private final java.util.concurrent.ExecutorService acceptors;
    /** Runs Mina connectors' workers ({@link #connectorExecutor}); never shut down by a connector. */
    private final java.util.concurrent.ExecutorService connectors;

    /** @param name the threads' names, numbered from 1 */
    public IoThreadsService(String name, int threads) {
        this.threads = threads;
        later = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name + "-later");
            t.setDaemon(true);
            return t;
        });
        later.setKeepAliveTime(5, java.util.concurrent.TimeUnit.SECONDS);
        later.allowCoreThreadTimeOut(true);
        // a thread per running acceptor; one whose acceptor was disposed ends 5 s later (unless another is bound meanwhile)
        acceptors = threadPerTask(name + "-acceptor-", IoThreadBuffers::markAcceptorThread);
        connectors = threadPerTask(name + "-connector-", () -> { });
        IoThreadBuffers.use();
        pool = new AffinityPool(name, threads);
        loops = new SelectorLoop[threads];
        try {
            for (int i = 0; i < threads; i++) {
                loops[i] = new SelectorLoop(name + "-loop-" + (i + 1), SelectorProvider.provider());
                buffers.put(loops[i], new ChannelRelay.Buffers(RELAY_CHUNK, RELAY_BUFFERS_KEPT, RELAY_DIRECT_BUFFERS));
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot open a selector", e);
        }
        loopPlacement = new LeastBusy(threads, i -> loops[i].busyShare());
    }

    /**
     * An executor that runs each task on a thread of its own (threads named {@code prefix} and a
     * number, daemons), calling {@code first} on a new thread first; an idle thread ends after 5 s.
     */
    private static java.util.concurrent.ExecutorService threadPerTask(String prefix, Runnable first) {
        AtomicInteger made = new AtomicInteger();
        return new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), r -> {
                    Thread t = new Thread(() -> {
                        first.run();
                        r.run();
                    }, prefix + made.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * @return the direct read buffers the I/O threads' pools have made so far, in this runtime: few
     *         where buffers are given back (a relay gives back each one it has written)
     */
    public static long pooledBuffersMade() {
        return IoThreadBuffers.made();
    }

    /** @return how many threads of each kind (processors, loops) */
    public final int threads() {
        return threads;
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
    public SelectorLoop loop() {
        for (SelectorLoop l : loops) {
            if (l.inLoop()) {
                return l;
            }
        }
        return nextLoop();
    }

    @Override
    public double[] processorsBusy() {
        return pool.busyShares();
    }

    @Override
    public double[] loopsBusy() {
        return loopPlacement.shares();
    }

    @Override
    public SelectorLoop nextLoop() {
        return loops[loopPlacement.pick()];
    }

    @Override
    public Optional<Relay> relay(TransportStream a, TransportStream b, int window) {
        if (a instanceof SessionStream && b instanceof SessionStream) {
            return relaySessions((SessionStream) a, (SessionStream) b, window);
        }
        if (a instanceof ChannelStream && b instanceof ChannelStream) {
            return relayChannels((ChannelStream) a, (ChannelStream) b);
        }
        return Optional.empty();
    }

    private Optional<Relay> relaySessions(SessionStream a, SessionStream b, int window) {
        IoSession sa = a.session();
        IoSession sb = b.session();
        if (!pool.ownedByCaller(sa) || !pool.ownedByCaller(sb) || !usable(sa) || !usable(sb)
                || !a.readyForHandOver() || !b.readyForHandOver()) {
            return Optional.empty();
        }
        SessionRelay relay = new SessionRelay(a, b, window);
        relay.start(a.handOver(), b.handOver());
        return Optional.of(relay);
    }

    private static boolean usable(IoSession s) {
        // a byte stream (TCP), not datagrams; not closing; not spliced already
        return s.getTransportMetadata().hasFragmentation() && s.isConnected() && !s.isClosing()
                && s.getFilterChain().get(SessionRelay.FILTER) == null;
    }

    private Optional<Relay> relayChannels(ChannelStream a, ChannelStream b) {
        SelectorLoop loop = a.loop();
        ChannelRelay.Buffers lent = buffers.get(loop);
        if (lent == null || b.loop() != loop || !loop.inLoop() || !registered(a) || !registered(b)
                || !a.readyForHandOver() || !b.readyForHandOver()) {
            return Optional.empty();
        }
        ChannelRelay relay = new ChannelRelay(lent, a, b);
        relay.start(a.handOver(), b.handOver());
        return Optional.of(relay);
    }

    private static boolean registered(ChannelStream s) {
        SelectionKey key = s.loop().keyFor(s.channel());
        return key != null && key.isValid() && s.channel().isOpen();
    }

    @Override
    public void disposeLater(org.apache.mina.core.service.IoService service, long delayMs) {
        Runnable dispose = () -> {
            service.getManagedSessions().values().forEach(org.apache.mina.core.session.IoSession::closeNow);
            service.dispose(false);
        };
        try {
            later.schedule(dispose, delayMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            dispose.run(); // this service is going away: at once
        }
    }

    @Override
    public java.util.concurrent.Executor acceptorExecutor() {
        return acceptors;
    }

    @Override
    public java.util.concurrent.Executor connectorExecutor() {
        return connectors;
    }

    /** Closes every session and channel served by these threads and ends them. */
    @Override
    public void close() {
        for (Runnable pending : later.shutdownNow()) {
            pending.run(); // delayed closes run now, before their threads end
        }
        acceptors.shutdown(); // an acceptor's loop ends when its owner disposes of it; idle threads end now
        connectors.shutdown(); // a connector's worker ends with its last connection under way
        pool.shutdown();
        for (SelectorLoop l : loops) {
            if (l != null) {
                l.execute(l::close);
            }
        }
        if (buffersReleased.compareAndSet(false, true)) {
            IoThreadBuffers.release();
        }
    }
}
