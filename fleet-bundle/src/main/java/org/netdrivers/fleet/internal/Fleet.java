package org.netdrivers.fleet.internal;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.SessionConnectionStateErrorPolicy;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.client.ZKClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One runtime's membership of the fleet, through Curator recipes only: each shared endpoint is
 * an ephemeral znode {@code ROOT/RUNTIME/NAME} kept by a {@link PersistentNode} (re-created after
 * a session loss; deleted when unpublished or closed, or by ZooKeeper when the session expires),
 * and a {@link CuratorCache} on {@code ROOT} reports every other runtime's endpoints to a
 * {@link Remotes}. The runtime folders are container nodes: ZooKeeper removes them once empty.
 *
 * <p>A runtime name has one owner at a time: each runtime joins a {@link LeaderLatch} on
 * {@code RUNTIMES/RUNTIME} and publishes only while it holds it. A second runtime configured with
 * the same name (a cloned image keeps its host name, the default) publishes nothing, says so in one
 * WARN line naming the holder, and takes over when the holder leaves. The holder's id is its fleet
 * address: a runtime whose earlier session still holds the name (the session was lost, or the
 * process was killed and started again) publishes meanwhile. Only a lost session (not a suspended
 * connection: {@link SessionConnectionStateErrorPolicy}) ends a hold, so a ZooKeeper server going
 * down in an ensemble changes nothing others see, and a lost one does not stop the publishing.
 */
final class Fleet implements AutoCloseable {
    /** Where every runtime publishes, below the connect string's chroot if any. */
    static final String ROOT = "/netdrivers/fleet";
    /** Where runtimes hold their names (one latch per name). */
    static final String RUNTIMES = "/netdrivers/runtimes";

    private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);

    /** Told of other runtimes' endpoints, on Curator's event thread (one at a time, in order). */
    interface Remotes {
        void appeared(String runtime, String name, EndpointRecord record);

        void gone(String runtime, String name);

        /**
         * ZooKeeper has not answered for the session timeout (the session is lost): what others
         * publish is unknown until it answers again, when every endpoint then known appears again.
         */
        default void unknown() {
        }
    }

    private final String runtime;
    /** This runtime's id in its name's latch: its fleet address, which tells a clash's two runtimes apart. */
    private final String id;
    private final CuratorFramework client;
    private final LeaderLatch name;
    /** Whether this runtime holds its name, and so publishes. */
    private boolean owner; // guarded by this
    /** Whether this runtime joined (or, closing, will never join) its name's latch. */
    private final java.util.concurrent.atomic.AtomicBoolean nameJoined = new java.util.concurrent.atomic.AtomicBoolean();
    /** Whether the session was lost since ZooKeeper last answered (connection state events, one thread). */
    private boolean sessionLost;
    /** Whether the WARN line of a held name was written for the current clash. */
    private boolean clashSaid; // guarded by this
    private final CuratorCache cache;
    /** Curator's "run safe" executor: ours, since Curator 5.9.0 never shuts its own down (apache/curator#1277). */
    private final ExecutorService runSafe;
    private final Map<String, PersistentNode> published = new HashMap<>(); // guarded by this
    private final Map<String, EndpointRecord> records = new HashMap<>(); // what each published node holds; guarded by this
    /**
     * Where published nodes are closed: PersistentNode.close() deletes its node in the foreground,
     * retrying under the retry policy while ZooKeeper does not answer (minutes), and unpublish and
     * close run on SCR's and Config Admin's threads.
     */
    private final ExecutorService closer;
    /** How long close() lets the nodes' deletes run before it ends the session (which removes them too). */
    static final long CLOSE_WAIT_MS = 2000;

    /** A runtime known in its name's latch by a random id (tests, the scale bench). */
    Fleet(String connectString, String runtime, int sessionTimeoutMs, Remotes remotes) {
        this(connectString, runtime, runtime + "@" + java.util.UUID.randomUUID(), sessionTimeoutMs, remotes);
    }

    Fleet(String connectString, String runtime, String id, int sessionTimeoutMs, Remotes remotes) {
        this.runtime = runtime;
        this.id = id;
        ThreadFactory threads = named("netdrivers-fleet");
        runSafe = Executors.newSingleThreadExecutor(threads);
        closer = Executors.newSingleThreadExecutor(threads);
        ZKClientConfig zk = new ZKClientConfig();
        zk.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false"); // no JAAS lookup, no SASL log lines
        // a chroot (hosts/path) becomes Curator's namespace, which Curator creates when missing: given to
        // ZooKeeper as part of the connect string, a chroot that does not exist yet fails every create
        int slash = connectString.indexOf('/');
        String hosts = slash < 0 ? connectString : connectString.substring(0, slash);
        String namespace = slash < 0 ? null : connectString.substring(slash + 1).replaceAll("/+$", "");
        client = CuratorFrameworkFactory.builder()
                .connectString(hosts)
                .namespace(namespace == null || namespace.isEmpty() ? null : namespace)
                // the connect string is the configured one: the ensemble tracker would replace it with
                // the servers' own view (0.0.0.0 for a server listening on every address, CURATOR-384)
                .ensembleTracker(false)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(Math.min(15000, sessionTimeoutMs))
                .retryPolicy(new ExponentialBackoffRetry(500, 29, 30000))
                .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
                .zkClientConfig(zk)
                .threadFactory(threads)
                .runSafeService(runSafe)
                .build();
        // an operation of the cache that fails (a session lost, the client closing): one line, without the stack trace
        // Curator's default handler logs at ERROR; the cache starts over by itself on reconnection
        cache = CuratorCache.builder(client, ROOT).withExceptionHandler(e -> {
            if (client.getState() == org.apache.curator.framework.imps.CuratorFrameworkState.STARTED) {
                LOG.warn("Fleet: watching {}: {}", ROOT, e.toString());
            } else {
                LOG.debug("Fleet: watching {} (closing): {}", ROOT, e.toString());
            }
        }).build();
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, after) -> changed(after, remotes))
                .forDeletes(gone -> deleted(gone, remotes))
                .build());
        name = new LeaderLatch(client, ZKPaths.makePath(RUNTIMES, runtime), id);
        name.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                publishing(true);
            }

            @Override
            public void notLeader() {
                // the session was lost (ZooKeeper silent for its timeout): the latch is joined again on reconnection,
                // where this runtime's latch node of the old session may still hold the name for a while; the nodes
                // stay (PersistentNode makes them again in the new session) unless another runtime holds the name
                checkNameLater();
            }
        });
        client.getConnectionStateListenable().addListener((c, state) -> {
            LOG.info("Fleet: ZooKeeper {} ({})", state.name().toLowerCase(java.util.Locale.ROOT), connectString);
            if (state == ConnectionState.CONNECTED) {
                joinNameLatch();
            }
            if (state == ConnectionState.LOST) {
                sessionLost = true;
                remotes.unknown();
            } else if (state == ConnectionState.RECONNECTED && sessionLost) {
                // the cache keeps what it had and reports only differences once it has read the tree again:
                // what it holds now appears again (a node gone meanwhile is then reported gone)
                sessionLost = false;
                cache.stream().forEach(node -> changed(node, remotes));
            }
            if (state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED) {
                checkNameLater();
            }
        });
    }

    /** Connects in the background: publishing and watching begin once ZooKeeper answers. */
    void start() {
        client.start();
        cache.start();
    }

    /**
     * Joins the name's latch, once ZooKeeper first answers: started before, the latch waits for the
     * connection on a thread of its own, which a close before it connects interrupts (an ERROR line
     * with a stack trace from Curator).
     */
    private void joinNameLatch() {
        if (nameJoined.compareAndSet(false, true)) {
            try {
                name.start();
            } catch (Exception e) { // only when started twice
                LOG.debug("Fleet: the latch of {}: {}", runtime, e.toString());
            }
        }
    }

    /** Whether this runtime holds its name (and so publishes). */
    synchronized boolean owner() {
        return owner;
    }

    /** Starts publishing (every endpoint not published yet), or stops (another runtime holds the name). */
    private synchronized void publishing(boolean on) {
        if (on == owner) {
            return;
        }
        owner = on;
        if (on) {
            if (clashSaid) {
                LOG.info("Fleet: runtime name {} is this runtime's now: publishing {} endpoint(s)", runtime, records.size());
                clashSaid = false;
            }
            records.forEach((name, record) -> {
                if (!published.containsKey(name)) {
                    create(name, record);
                }
            });
        } else {
            published.values().forEach(node -> closer.execute(() -> closeQuietly(node)));
            published.clear();
        }
    }

    /** {@link #checkName} off Curator's event thread (it waits for the latch), unless the fleet is closing. */
    private void checkNameLater() {
        try {
            closer.execute(this::checkName);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the fleet is closing
        }
    }

    /**
     * After a connection: when another runtime holds this name once the latch has had its time, one
     * WARN line naming it (the holder's id is its fleet address).
     */
    private void checkName() {
        try {
            if (name.await(CLOSE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                publishing(true);
                return;
            }
            Participant holder = name.getLeader();
            if (!holder.isLeader()) {
                return; // nobody holds it yet: the latch says when this runtime does
            }
            if (holder.getId().equals(id)) {
                // an earlier session of this runtime (lost, or of a process killed and started again): its latch node
                // goes when that session expires; the endpoints are this runtime's meanwhile
                LOG.debug("Fleet: runtime name {} is held by an earlier session of this runtime", runtime);
                publishing(true);
                return;
            }
            boolean say;
            synchronized (this) {
                say = !clashSaid;
                clashSaid = true;
            }
            publishing(false);
            if (!say) {
                return;
            }
            LOG.warn("Fleet: runtime name {} is held by another runtime (fleet address {}): this runtime publishes nothing while"
                    + " it holds it, and takes over when it leaves; give each runtime its own name (field 'runtime' of {})",
                    runtime, holder.getId(), "org.netdrivers.fleet");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("Fleet: the holder of runtime name {}: {}", runtime, e.toString());
        }
    }

    /** Publishes (or replaces) this runtime's endpoint {@code name}. */
    synchronized void publish(String name, EndpointRecord record) {
        PersistentNode node = published.get(name);
        if (record.equals(records.put(name, record)) && node != null) {
            return; // the service's other properties changed: nothing the fleet publishes
        }
        if (!owner) {
            return; // published when this runtime holds its name
        }
        if (node == null) {
            create(name, record);
            return;
        }
        try {
            node.setData(record.toBytes());
        } catch (Exception notCreatedYet) {
            // ZooKeeper has not answered the node's create yet: the node takes the record once it has (catchUp).
            // Closing it and creating another instead would let the first one's late answer delete the path,
            // and others would see the endpoint go and come back.
            catchUpOnceCreated(name, node);
        }
    }

    /**
     * {@link #catchUp} once ZooKeeper has answered {@code node}'s create (the node made, or found
     * left by an earlier session), on the closer's thread. While ZooKeeper is silent the wait is
     * taken up again behind the closer's other work, until the node is unpublished. Once created a
     * node takes every record at once, and makes itself again with the newest after a session loss.
     */
    private void catchUpOnceCreated(String name, PersistentNode node) {
        try {
            closer.execute(() -> {
                try {
                    if (node.waitForInitialCreate(CLOSE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        catchUp(name, node);
                    } else if (isPublished(name, node)) {
                        catchUpOnceCreated(name, node);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the fleet is closing
        }
    }

    private synchronized boolean isPublished(String name, PersistentNode node) {
        return published.get(name) == node;
    }

    private void create(String name, EndpointRecord record) { // guarded by this
        PersistentNode node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path(runtime, name), record.toBytes(), true);
        published.put(name, node);
        node.start();
        LOG.info("Fleet: publishing {} as {}/{}", name, runtime, name);
    }

    /**
     * Once {@code node} exists (made, or found left by an earlier session): the record published
     * since, if it changed while ZooKeeper had not answered the create.
     */
    private synchronized void catchUp(String name, PersistentNode node) {
        EndpointRecord record = records.get(name);
        if (record == null || !isPublished(name, node)) {
            return; // unpublished or replaced meanwhile
        }
        byte[] bytes = record.toBytes();
        if (java.util.Arrays.equals(bytes, node.getData())) {
            return;
        }
        try {
            node.setData(bytes);
        } catch (Exception e) {
            LOG.debug("Fleet: writing {}/{}: {}", runtime, name, e.toString());
        }
    }

    /** Deletes this runtime's node of {@code name}, if published. */
    synchronized void unpublish(String name) {
        records.remove(name);
        PersistentNode node = published.remove(name);
        if (node != null) {
            closer.execute(() -> closeQuietly(node));
            LOG.info("Fleet: {}/{} unpublished", runtime, name);
        }
    }

    /** Deletes every published node, stops watching and ends the ZooKeeper session. */
    @Override
    public void close() {
        synchronized (this) {
            published.values().forEach(node -> closer.execute(() -> closeQuietly(node)));
            published.clear();
            records.clear();
        }
        closer.shutdown();
        try {
            closer.awaitTermination(CLOSE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closer.shutdownNow(); // ZooKeeper does not answer: the session's end removes the ephemeral nodes
        nameJoined.set(true); // a connection from now on joins nothing
        try {
            name.close(LeaderLatch.CloseMode.SILENT);
        } catch (IOException | IllegalStateException e) { // never started
            LOG.debug("Fleet: leaving the latch of {}: {}", runtime, e.toString());
        }
        cache.close();
        client.close();
        runSafe.shutdownNow();
    }

    /** Whether ZooKeeper currently answers this runtime (for status and tests). */
    boolean connected() {
        return client.getZookeeperClient().isConnected();
    }

    /** For tests. */
    CuratorFramework client() {
        return client;
    }

    static String path(String runtime, String name) {
        return ZKPaths.makePath(ROOT, runtime, name);
    }

    private void changed(ChildData node, Remotes remotes) {
        String[] rn = runtimeAndName(node.getPath());
        if (rn == null || rn[0].equals(runtime)) {
            return; // the root, a runtime folder, or our own endpoint
        }
        EndpointRecord record;
        try {
            record = EndpointRecord.parse(node.getData());
        } catch (IllegalArgumentException e) {
            LOG.warn("Fleet: {} ignored: {}", node.getPath(), e.getMessage());
            return;
        }
        remotes.appeared(rn[0], rn[1], record);
    }

    private void deleted(ChildData node, Remotes remotes) {
        String[] rn = runtimeAndName(node.getPath());
        if (rn != null && !rn[0].equals(runtime)) {
            remotes.gone(rn[0], rn[1]);
        }
    }

    /** {@code ROOT/RUNTIME/NAME} → {RUNTIME, NAME}; null for any other path. */
    static String[] runtimeAndName(String path) {
        if (!path.startsWith(ROOT + "/")) {
            return null;
        }
        String[] parts = path.substring(ROOT.length() + 1).split("/");
        return parts.length == 2 ? parts : null;
    }

    private static void closeQuietly(PersistentNode node) {
        if (node == null) {
            return;
        }
        try {
            node.close();
        } catch (Exception e) {
            LOG.debug("Fleet: closing {}: {}", node.getActualPath(), e.toString());
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
