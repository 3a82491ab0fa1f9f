package org.netdrivers.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.netdrivers.bench.SoakNet.Outcome;
import org.netdrivers.bench.SoakNet.Target;

/** Client traffic of the soak: counted connect/echo/close cycles, and clients that loop until stopped. */
final class SoakLoad {
    private static final int KEPT_FAILURES = 10_000;

    private final List<Target> targets;
    private final LongAdder ok = new LongAdder();
    private final AtomicLong failed = new AtomicLong();
    private final List<Outcome> failures = new ArrayList<>(); // the first KEPT_FAILURES, guarded by itself
    private final AtomicBoolean running = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    SoakLoad(List<Target> targets) {
        this.targets = targets;
    }

    long ok() {
        return ok.sum();
    }

    long failed() {
        return failed.get();
    }

    long done() {
        return ok() + failed();
    }

    List<Outcome> failures() {
        synchronized (failures) {
            return new ArrayList<>(failures);
        }
    }

    private void record(Outcome o) {
        if (o.ok()) {
            ok.increment();
            return;
        }
        failed.incrementAndGet();
        synchronized (failures) {
            if (failures.size() < KEPT_FAILURES) {
                failures.add(o);
            }
        }
    }

    /**
     * Runs {@code count} cycles on {@code clients} threads, the targets in turn; returns when they
     * are done or {@code capMs} has passed (then fewer are done: the caller sees it in done()).
     */
    void cycles(long count, int clients, long capMs) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        long deadline = System.nanoTime() + capMs * 1_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                for (long i; (i = next.getAndIncrement()) < count && System.nanoTime() < deadline; ) {
                    record(SoakNet.exchange(targets.get((int) (i % targets.size()))));
                }
            }, "soak-cycles-" + c);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join(capMs + 60_000);
        }
    }

    /**
     * Starts {@code clients} threads that each loop connect/echo/close over the targets (client c
     * starts at target c) until {@link #stop()}, pausing {@code pauseMs} between cycles; at most
     * 100 million cycles each.
     */
    void start(int clients, long pauseMs) {
        running.set(true);
        for (int c = 0; c < clients; c++) {
            int first = c;
            Thread t = new Thread(() -> {
                for (long i = 0; running.get() && i < 100_000_000L; i++) {
                    record(SoakNet.exchange(targets.get((int) ((first + i) % targets.size()))));
                    if (pauseMs > 0) {
                        try {
                            Thread.sleep(pauseMs);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "soak-client-" + c);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    /** Stops the looping clients and waits for their cycles under way (each bounded by its timeouts). */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(60_000);
        }
        threads.clear();
    }
}
