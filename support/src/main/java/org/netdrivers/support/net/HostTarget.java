package org.netdrivers.support.net;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.Security;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.netdrivers.support.stream.Delays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a driver's streams connect: the configured host and a port. An IP literal is used as it
 * is. A host name is looked up again by the first connect after its last answer has aged as long
 * as the JVM keeps an answer ({@link #lookupIntervalSeconds()}: {@code networkaddress.cache.ttl},
 * 30 s by default), so that a device whose name now points elsewhere (a new DHCP lease, a replaced
 * board) is followed without a change of configuration, and no connect goes to an address the
 * name has left longer ago than that. Connects in between use the last answer and cost nothing.
 *
 * <p>A lookup may block for seconds: it runs on a thread of its own ({@code netdrivers-lookup}),
 * never on the caller's (an I/O thread), and the connects that come meanwhile wait for its answer.
 * A name that does not resolve any more keeps its last address: one WARN line when that begins,
 * one INFO line when it resolves again, one INFO line for each new address.
 */
public final class HostTarget {
    private static final Logger LOG = LoggerFactory.getLogger(HostTarget.class);
    private static final Executor LOOKUPS = Delays.oneThreadEndingWhenIdle("netdrivers-lookup");
    /** The JVM's default for {@code networkaddress.cache.ttl} when no security manager is installed. */
    private static final long JVM_DEFAULT_TTL_S = 30;

    private final String host;
    private final int port;
    /** Whose target this is, for log lines (the driver and its configuration's PID). */
    private final String owner;
    /** Negative: never looked up again (an IP literal, or a JVM that keeps answers for ever). */
    private final long intervalNs;
    private final Executor lookups;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    private volatile InetSocketAddress current;
    /** When the next connect looks the name up again (System.nanoTime). */
    private volatile long nextLookupNs;
    /** The lookup under way, if any. Guarded by this. */
    private CompletableFuture<InetSocketAddress> lookup;
    /** The last lookup failed. Written by lookups only, which never overlap. */
    private boolean failing;

    /**
     * @param host the host as configured (a name or an IP literal)
     * @param first its address, looked up already (at configuration)
     * @param owner whose target this is, for log lines
     */
    public HostTarget(String host, InetSocketAddress first, String owner) {
        this(host, first, owner, NetAddresses.isIpLiteral(host) ? -1 : lookupIntervalSeconds(), LOOKUPS);
    }

    HostTarget(String host, InetSocketAddress first, String owner, long intervalSeconds, Executor lookups) {
        this.host = host;
        this.port = first.getPort();
        this.owner = owner;
        this.current = first;
        this.intervalNs = intervalSeconds < 0 ? -1 : TimeUnit.SECONDS.toNanos(Math.max(1, intervalSeconds));
        this.lookups = lookups;
        this.nextLookupNs = System.nanoTime() + this.intervalNs;
    }

    /**
     * How long an answer serves before a connect looks the name up again: the JVM's own cache
     * time of a positive answer (security property {@code networkaddress.cache.ttl}, else system
     * property {@code sun.net.inetaddr.ttl}, else 30 s), at least 1 s; -1 (never) where the JVM
     * keeps answers for ever. A lookup sooner would get the JVM's cached answer anyway.
     */
    public static long lookupIntervalSeconds() {
        String ttl = Security.getProperty("networkaddress.cache.ttl");
        if (ttl == null) {
            ttl = System.getProperty("sun.net.inetaddr.ttl");
        }
        if (ttl == null) {
            return JVM_DEFAULT_TTL_S;
        }
        try {
            long s = Long.parseLong(ttl.trim());
            return s < 0 ? -1 : Math.max(1, s);
        } catch (NumberFormatException e) {
            return JVM_DEFAULT_TTL_S;
        }
    }

    /** @return the address of the last answer */
    public InetSocketAddress current() {
        return current;
    }

    /** @return the host as configured */
    public String host() {
        return host;
    }

    /** @return whether the host is a name, looked up again from time to time */
    public boolean followsName() {
        return intervalNs >= 0;
    }

    /** Tells {@code listener}, on the lookup thread, whenever {@link #current()} changes. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** @return the last answer while it serves (no lookup due: a connect's path without an allocation), else null */
    public InetSocketAddress fresh() {
        return intervalNs < 0 || System.nanoTime() - nextLookupNs < 0 ? current : null;
    }

    /**
     * @return the address a connect goes to now: at once (on the caller's thread) while the last
     *     answer serves, else when the lookup under way ends (on its thread); never exceptionally
     */
    public CompletionStage<InetSocketAddress> forConnect() {
        InetSocketAddress fresh = fresh();
        if (fresh != null) {
            return CompletableFuture.completedFuture(fresh);
        }
        synchronized (this) {
            if (lookup != null) {
                return lookup;
            }
            if (System.nanoTime() - nextLookupNs < 0) {
                return CompletableFuture.completedFuture(current); // a lookup ended meanwhile
            }
            CompletableFuture<InetSocketAddress> f = new CompletableFuture<>();
            lookup = f;
            try {
                lookups.execute(() -> f.complete(lookUp()));
            } catch (RejectedExecutionException e) {
                lookup = null;
                return CompletableFuture.completedFuture(current);
            }
            return f;
        }
    }

    /** On the lookup thread. */
    private InetSocketAddress lookUp() {
        InetSocketAddress before = current;
        InetSocketAddress now = before;
        boolean wasFailing = failing;
        try {
            now = new InetSocketAddress(NetAddresses.resolve(host), port);
            failing = false;
        } catch (UnknownHostException | SecurityException e) {
            failing = true;
            if (!wasFailing) {
                LOG.warn("{}: host \"{}\" does not resolve now ({}); new streams go on to {}, the last address it had,"
                        + " and the name is looked up again every {} s while streams are opened", owner, host,
                        e.getMessage(), NetAddresses.formatHost(before.getAddress()), TimeUnit.NANOSECONDS.toSeconds(intervalNs));
            }
        } catch (RuntimeException e) {
            LOG.error("{}: looking up host \"{}\" failed; new streams go on to {}", owner, host,
                    NetAddresses.formatHost(before.getAddress()), e);
        }
        current = now;
        nextLookupNs = System.nanoTime() + intervalNs;
        synchronized (this) {
            lookup = null;
        }
        boolean changed = !now.getAddress().equals(before.getAddress());
        if (changed) {
            LOG.info("{}: host \"{}\" {} {} (was {}); new streams connect there, open ones stay", owner, host,
                    wasFailing ? "resolves again, now to" : "now resolves to", NetAddresses.formatHost(now.getAddress()),
                    NetAddresses.formatHost(before.getAddress()));
            for (Runnable l : listeners) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.error("{}: a listener of the new address of host \"{}\" failed", owner, host, e);
                }
            }
        } else if (wasFailing && !failing) {
            LOG.info("{}: host \"{}\" resolves again, to {} as before", owner, host, NetAddresses.formatHost(now.getAddress()));
        }
        return now;
    }
}
