package org.netdrivers.support.stream;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs short tasks after a delay (a connect's timeout, a close that waits for the peer's answer)
 * on one daemon thread, which ends a second after the last pending task: a bundle that copies this
 * class and is stopped keeps no thread beyond its last delay. A cancelled task leaves the queue at
 * once, with whatever it refers to.
 *
 * <p>Not {@code CompletableFuture.delayedExecutor}: its tasks run on the common pool, which on a
 * machine of two cores or fewer (pool parallelism 1) starts a new thread for every task, and a
 * task stays queued for its whole delay even when what it guards is long done. Ten seconds after
 * thousands of connects, as many threads were started at once.
 */
public final class Delays {
    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "netdrivers-delays");
        t.setDaemon(true);
        return t;
    });

    static {
        TIMER.setRemoveOnCancelPolicy(true);
        TIMER.setKeepAliveTime(1, TimeUnit.SECONDS);
        TIMER.allowCoreThreadTimeOut(true);
    }

    private Delays() {}

    /**
     * Runs {@code task} after {@code delayMs} on the delays' thread: it must not block. Cancel the
     * result when the task is no longer needed.
     */
    public static ScheduledFuture<?> after(long delayMs, Runnable task) {
        return TIMER.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    /**
     * One daemon thread named {@code name} for tasks that may block (a name lookup), started when
     * there is a task and ended a second after the last, as the delays' thread is: a stopped
     * bundle keeps no thread.
     */
    public static ThreadPoolExecutor oneThreadEndingWhenIdle(String name) {
        return new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** @return tasks waiting for their delay (cancelled ones are gone) */
    public static int pending() {
        return TIMER.getQueue().size();
    }
}
