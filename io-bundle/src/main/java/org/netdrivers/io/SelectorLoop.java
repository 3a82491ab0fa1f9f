package org.netdrivers.io;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.netdrivers.io.internal.BusyTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread and one selector serving many non-blocking channels (of the JDK or of a library that
 * brings its own {@link SelectorProvider}, such as junixsocket). All I/O and every change of
 * interest happen on the loop's thread; other threads hand it tasks. {@link IoThreads#loop()}
 * gives one of the runtime's shared loops (JDK channels); a bundle may run loops of its own for
 * channels of another provider.
 */
public final class SelectorLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SelectorLoop.class);

    /** What a registered channel does when it is ready. */
    public interface Handler {
        void ready(SelectionKey key);

        /** The loop closed while this channel was still registered (a connect in progress): give up. */
        default void loopClosed() {
        }

        /**
         * The selector reported this channel and dropped its key without the handler cancelling
         * it: junixsocket's selector does so when poll reports a hang-up or an error (POLLHUP,
         * POLLERR, POLLNVAL), and the channel then gets no more events, although it is still open
         * and may still hold unread bytes. On a hang-up, no more bytes can arrive (both directions
         * are shut), so the handler reads what is left without waiting for readiness; on an error,
         * its next read or write throws it. Also called for a key the handler cancelled itself
         * during the same select: a handler checks that the key is still its own.
         */
        default void dropped(SelectionKey key) {
        }
    }

    private static final long SELECT_TIMEOUT_MS = 100;

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final BusyTime busyTime = new BusyTime();
    private volatile boolean running = true;
    private volatile boolean closed;

    public SelectorLoop(String name, SelectorProvider provider) throws IOException {
        selector = provider.openSelector();
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs {@code task} on the loop's thread: now if called there, else soon. Once the loop has
     * closed, the task runs on the caller's thread instead (it then meets a closed selector and
     * fails as it should): a task handed in while the loop closes is never lost, so that a
     * connect racing with its driver's going away completes (it once hung an export connection).
     */
    public void execute(Runnable task) {
        if (Thread.currentThread() == thread) {
            task.run();
            return;
        }
        tasks.add(task);
        selector.wakeup();
        if (closed) {
            runTasks();
        }
    }

    private void runTasks() {
        for (Runnable task; (task = tasks.poll()) != null; ) {
            runSafely(task);
        }
    }

    /**
     * @return the share of the last 134 to 268 ms the loop's thread spent working rather than
     *         waiting for its selector, 0 to 1 (where the runtime places a new connection)
     */
    public double busyShare() {
        return busyTime.share();
    }

    /** @return whether the calling thread is this loop's */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** @return the key of {@code channel} on this loop's selector, or null; call on the loop's thread */
    public SelectionKey keyFor(SelectableChannel channel) {
        return channel.keyFor(selector);
    }

    /** Registers a channel; call on the loop's thread (from {@link #execute}). */
    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws IOException {
        channel.configureBlocking(false);
        return channel.register(selector, ops, handler);
    }

    private void run() {
        busyTime.awake(); // working from the start: a task handed in before the first select runs now
        while (running) {
            try {
                // tasks before the select, so that a channel they register is in the select's poll set
                // (junixsocket's selector builds that set when a select begins); the bound keeps a
                // task handed in during a select from waiting long on any selector implementation
                runTasks();
                busyTime.waiting();
                try {
                    selector.select(SELECT_TIMEOUT_MS);
                } finally {
                    busyTime.awake();
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (key.isValid()) {
                        ready(key);
                    } else if (key.channel().isOpen() && key.attachment() instanceof Handler h) {
                        runSafely(() -> h.dropped(key));
                    }
                }
            } catch (ClosedSelectorException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.error("selector loop {} failed; it goes on", thread.getName(), e);
            }
        }
    }

    /**
     * Tells a channel's handler that it is ready. A handler that fails loses its channel (closed,
     * its key cancelled), not the loop: a broken handler would otherwise be told again at each
     * select. A {@link LinkageError} is a bundle updated or uninstalled while its channel was
     * open: a WARN; anything else is a defect: an ERROR.
     */
    private void ready(SelectionKey key) {
        Handler h = (Handler) key.attachment();
        try {
            h.ready(key);
        } catch (RuntimeException | LinkageError e) {
            key.cancel();
            try {
                key.channel().close();
            } catch (IOException ignored) {
                // closed anyway
            }
            if (e instanceof LinkageError) {
                LOG.warn("selector loop {}: a channel's handler failed ({}); its bundle was updated or uninstalled while "
                        + "the channel was open; the channel is closed, the loop serves on", thread.getName(), e.toString());
            } else {
                LOG.error("selector loop {}: a channel's handler failed; the channel is closed, the loop serves on",
                        thread.getName(), e);
            }
        }
    }

    /** Runs a task handed in; a task that fails is logged (a linkage error as a WARN, see {@link #ready}). */
    private void runSafely(Runnable r) {
        try {
            r.run();
        } catch (LinkageError e) {
            LOG.warn("selector loop {}: a task failed ({}); its bundle was updated or uninstalled meanwhile; the loop serves on",
                    thread.getName(), e.toString());
        } catch (RuntimeException e) {
            LOG.error("selector loop {}: a task failed", thread.getName(), e);
        }
    }

    /**
     * Stops the thread and closes the selector. Streams are their owners' to close (before this);
     * a channel still registered now (a connect in progress) is closed and its handler told.
     */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                if (key.attachment() instanceof Handler) {
                    runSafely(((Handler) key.attachment())::loopClosed);
                }
            }
            selector.close();
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            LOG.debug("closing selector", e);
        }
        closed = true;
        runTasks();
    }
}
