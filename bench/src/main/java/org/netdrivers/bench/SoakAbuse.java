package org.netdrivers.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.netdrivers.bench.SoakNet.Client;
import org.netdrivers.bench.SoakNet.Target;

/**
 * The abuse set, against the runtime's exports: garbage bytes, resets (SO_LINGER 0), connections
 * held idle, a flood of connects, and a reader of 1 byte/s from an echo export that is sent a lot;
 * after each kind, every export must still echo. Counts what was sent and what went wrong.
 */
final class SoakAbuse {
    /** A slow reader's writer stops here: reaching it would mean nothing held it back. */
    static final long SLOW_WRITE_CAP = 256L << 20;

    private final List<Target> targets;
    private final List<Target> tcpTargets;
    private final SplittableRandom random = new SplittableRandom(17);

    long garbageConnections;
    long garbageBytes;
    long garbageEchoMismatches;
    long resets;
    long idleHeld;
    long idleStillEcho;
    long floodConnects;
    long floodConnectFailures;
    long floodHeldMax;
    long echoChecks;
    long echoCheckFailures;
    final List<String> problems = new ArrayList<>();
    final List<SlowReader> slowReaders = new ArrayList<>();

    SoakAbuse(List<Target> targets) {
        this.targets = targets;
        this.tcpTargets = targets.stream().filter(t -> !t.unix()).toList();
    }

    /** Every export answers {@code perTarget} cycles. */
    void echoCheck(String after, int perTarget) {
        for (Target t : targets) {
            for (int i = 0; i < perTarget; i++) {
                SoakNet.Outcome o = SoakNet.exchange(t);
                echoChecks++;
                if (!o.ok()) {
                    echoCheckFailures++;
                    problem("echo check after " + after + " on " + t.where() + ": " + o.error());
                }
            }
        }
    }

    private void problem(String p) {
        if (problems.size() < 50) {
            problems.add(p);
        }
    }

    /** Opens {@code n} connections over every export, each answering one echo first; to be held. */
    List<Client> openIdle(int n) {
        List<Client> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Target t = targets.get(i % targets.size());
            try {
                Client c = Client.connect(t);
                held.add(c);
                if (!SoakNet.echoOn(c)) {
                    problem("idle connection " + i + " on " + t.where() + ": no echo before idling");
                }
            } catch (IOException e) {
                problem("idle connection " + i + " on " + t.where() + ": " + e);
            }
        }
        idleHeld = held.size();
        return held;
    }

    /** After their idle time every held connection must still echo; then they close (half reset). */
    void closeIdle(List<Client> held) {
        for (int i = 0; i < held.size(); i++) {
            Client c = held.get(i);
            if (SoakNet.echoOn(c)) {
                idleStillEcho++;
            } else {
                problem("idle connection " + i + ": no echo after idling");
            }
            if (i % 2 == 0) {
                c.reset();
            } else {
                c.close();
            }
        }
    }

    /**
     * {@code n} connections of random bytes, over every export, in four ways: sent and closed
     * without reading; sent, read back in full and checked; sent and reset; 4 MiB sent (read
     * away by a second thread) and reset while the echo flows.
     */
    void garbage(int n) {
        for (int i = 0; i < n; i++) {
            Target t = targets.get(i % targets.size());
            int mode = (i / targets.size()) % 4;
            int size = mode == 3 ? 4 << 20 : 1 + random.nextInt(64 * 1024);
            byte[] junk = new byte[size];
            random.nextBytes(junk);
            Client c;
            try {
                c = Client.connect(t);
            } catch (IOException e) {
                problem("garbage " + i + " on " + t.where() + ": connect: " + e);
                continue;
            }
            garbageConnections++;
            try {
                switch (mode) {
                    case 0 -> {
                        c.bounded(SoakNet.IO_TIMEOUT_MS, () -> {
                            c.write(junk);
                            return null;
                        });
                        c.close();
                    }
                    case 1 -> {
                        byte[] back = new byte[size];
                        int got = c.bounded(SoakNet.IO_TIMEOUT_MS, () -> {
                            Thread writer = new Thread(() -> {
                                try {
                                    c.write(junk);
                                } catch (IOException e) {
                                    // the read below sees it
                                }
                            }, "soak-garbage-writer");
                            writer.setDaemon(true);
                            writer.start();
                            return c.readFully(back, size);
                        });
                        if (got != size || !Arrays.equals(junk, back)) {
                            garbageEchoMismatches++;
                            problem("garbage " + i + " on " + t.where() + ": echo " + (got != size ? "ended after " + got + " of " + size + " bytes" : "differs"));
                        }
                        c.close();
                    }
                    case 2 -> {
                        c.bounded(SoakNet.IO_TIMEOUT_MS, () -> {
                            c.write(junk);
                            return null;
                        });
                        c.reset();
                    }
                    default -> {
                        Thread drain = new Thread(() -> {
                            byte[] buf = new byte[64 * 1024];
                            try {
                                while (c.read(buf, 0, buf.length) >= 0) {
                                    // away with it
                                }
                            } catch (IOException e) {
                                // reset below
                            }
                        }, "soak-garbage-drain");
                        drain.setDaemon(true);
                        drain.start();
                        c.bounded(SoakNet.IO_TIMEOUT_MS, () -> {
                            c.write(junk);
                            return null;
                        });
                        c.reset();
                        drain.join(10_000);
                    }
                }
                garbageBytes += size;
            } catch (IOException e) {
                problem("garbage " + i + " (way " + mode + ") on " + t.where() + ": " + e);
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                c.close();
                return;
            }
        }
    }

    /**
     * {@code n} connections to the TCP exports closed with a reset: at once; after 64 bytes; after
     * 64 bytes and their echo; with 64 KiB on its way back.
     */
    void resets(int n) {
        byte[] small = new byte[64];
        byte[] big = new byte[64 * 1024];
        for (int i = 0; i < n; i++) {
            Target t = tcpTargets.get(i % tcpTargets.size());
            int mode = (i / tcpTargets.size()) % 4;
            try {
                Client c = Client.connect(t);
                try {
                    c.bounded(SoakNet.IO_TIMEOUT_MS, () -> {
                        switch (mode) {
                            case 1 -> c.write(small);
                            case 2 -> {
                                c.write(small);
                                c.readFully(new byte[64], 64);
                            }
                            case 3 -> c.write(big);
                            default -> {
                            }
                        }
                        return null;
                    });
                } finally {
                    c.reset();
                }
                resets++;
            } catch (IOException e) {
                problem("reset " + i + " (way " + mode + ") on " + t.where() + ": " + e);
            }
        }
    }

    /**
     * A flood: {@code n} connects to the TCP exports as fast as they go, all held at once, an
     * echo check while they are, then closed (half reset); then {@code n} connect-and-close at once.
     */
    void flood(int n) {
        List<Client> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Target t = tcpTargets.get(i % tcpTargets.size());
                floodConnects++;
                try {
                    held.add(Client.connect(t));
                } catch (IOException e) {
                    floodConnectFailures++;
                    problem("flood connect " + i + " on " + t.where() + ": " + e);
                }
            }
            floodHeldMax = held.size();
            echoCheck("a flood of " + held.size() + " held connections", 5);
        } finally {
            for (int i = 0; i < held.size(); i++) {
                if (i % 2 == 0) {
                    held.get(i).reset();
                } else {
                    held.get(i).close();
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Target t = tcpTargets.get(i % tcpTargets.size());
            floodConnects++;
            try {
                Client c = Client.connect(t);
                if (i % 2 == 0) {
                    c.reset();
                } else {
                    c.close();
                }
            } catch (IOException e) {
                floodConnectFailures++;
                problem("flood connect-and-close " + i + " on " + t.where() + ": " + e);
            }
        }
    }

    /** The byte at {@code pos} of a slow reader's stream. */
    static byte pattern(long pos) {
        return (byte) (pos ^ (pos >>> 8) ^ (pos >>> 16) ^ 0x5a);
    }

    /**
     * A client of an echo export that writes as fast as it is let (up to {@link #SLOW_WRITE_CAP})
     * and reads 1 byte per second, each checked: the export must hold its writer back (bounded
     * buffers) and deliver the bytes in order; other clients must not notice.
     */
    static final class SlowReader {
        final Target target;
        final long seconds;
        final AtomicLong written = new AtomicLong();
        volatile long read;
        volatile long mismatches;
        volatile String error;
        private final Client client;
        private final Thread writer;
        private final Thread reader;

        SlowReader(Target target, long seconds) throws IOException {
            this.target = target;
            this.seconds = seconds;
            this.client = Client.connect(target);
            writer = new Thread(this::write, "soak-slow-writer");
            reader = new Thread(this::readSlowly, "soak-slow-reader");
            writer.setDaemon(true);
            reader.setDaemon(true);
            writer.start();
            reader.start();
        }

        private void write() {
            byte[] chunk = new byte[64 * 1024];
            long pos = 0;
            try {
                while (pos < SLOW_WRITE_CAP) {
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = pattern(pos + i);
                    }
                    client.write(chunk);
                    pos += chunk.length;
                    written.set(pos);
                }
            } catch (IOException e) {
                // the reset at the end
            }
        }

        private void readSlowly() {
            long start = System.nanoTime();
            byte[] one = new byte[1];
            try {
                for (long k = 0; k < seconds; k++) {
                    int n = client.bounded(SoakNet.IO_TIMEOUT_MS, () -> client.read(one, 0, 1));
                    if (n < 1) {
                        error = "end of stream after " + read + " bytes";
                        return;
                    }
                    if (one[0] != pattern(k)) {
                        mismatches++;
                    }
                    read = k + 1;
                    long next = start + (k + 1) * 1_000_000_000L;
                    long waitNs = next - System.nanoTime();
                    if (waitNs > 0) {
                        Thread.sleep(waitNs / 1_000_000L, (int) (waitNs % 1_000_000L));
                    }
                }
            } catch (IOException e) {
                error = e.toString();
            } catch (InterruptedException e) {
                error = "interrupted";
            }
        }

        /** Waits for the reading to end (bounded), then resets the connection, which ends the writer. */
        void finish() throws InterruptedException {
            reader.join(seconds * 1000 + 30_000);
            client.reset();
            writer.join(30_000);
        }

        boolean ok() {
            return error == null && mismatches == 0 && read == seconds && written.get() < SLOW_WRITE_CAP;
        }
    }
}
