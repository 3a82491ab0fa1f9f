package org.netdrivers.fleet.internal;

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
import org.apache.curator.framework.recipes.nodes.PersistentNode;
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
 */
final class Fleet implements AutoCloseable {
    /** Where every runtime publishes, below the connect string's chroot if any. */
    static final String ROOT = "/netdrivers/fleet";

    private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);

    /** Told of other runtimes' endpoints, on Curator's event thread (one at a time, in order). */
    interface Remotes {
        void appeared(String runtime, String name, EndpointRecord record);

        void gone(String runtime, String name);
    }

    private final String runtime;
    private final CuratorFramework client;
    private final CuratorCache cache;
    /** Curator's "run safe" executor: ours, since Curator 5.9.0 never shuts its own down (apache/curator#1277). */
    private final ExecutorService runSafe;
    private final Map<String, PersistentNode> published = new HashMap<>(); // guarded by this
    /**
     * Where published nodes are closed: PersistentNode.close() deletes its node in the foreground,
     * retrying under the retry policy while ZooKeeper does not answer (minutes), and unpublish and
     * close run on SCR's and Config Admin's threads.
     */
    private final ExecutorService closer;
    /** How long close() lets the nodes' deletes run before it ends the session (which removes them too). */
    static final long CLOSE_WAIT_MS = 2000;

    Fleet(String connectString, String runtime, int sessionTimeoutMs, Remotes remotes) {
        this.runtime = runtime;
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
                .zkClientConfig(zk)
                .threadFactory(threads)
                .runSafeService(runSafe)
                .build();
        cache = CuratorCache.build(client, ROOT);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, after) -> changed(after, remotes))
                .forDeletes(gone -> deleted(gone, remotes))
                .build());
        client.getConnectionStateListenable().addListener((c, state) -> LOG.info("Fleet: ZooKeeper {} ({})",
                state.name().toLowerCase(java.util.Locale.ROOT), connectString));
    }

    /** Connects in the background: publishing and watching begin once ZooKeeper answers. */
    void start() {
        client.start();
        cache.start();
    }

    /** Publishes (or replaces) this runtime's endpoint {@code name}. */
    synchronized void publish(String name, EndpointRecord record) {
        PersistentNode node = published.get(name);
        if (node != null) {
            try {
                node.setData(record.toBytes());
                return;
            } catch (Exception e) {
                // not created yet: start over with the new data
                closeQuietly(published.remove(name));
            }
        }
        node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path(runtime, name), record.toBytes(), true);
        published.put(name, node);
        node.start();
        LOG.info("Fleet: publishing {} as {}/{}", name, runtime, name);
    }

    /** Deletes this runtime's node of {@code name}, if published. */
    synchronized void unpublish(String name) {
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
        }
        closer.shutdown();
        try {
            closer.awaitTermination(CLOSE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closer.shutdownNow(); // ZooKeeper does not answer: the session's end removes the ephemeral nodes
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
