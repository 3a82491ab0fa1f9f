package org.netdrivers.itests.peers;

import java.nio.charset.StandardCharsets;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;

/**
 * An in-process ZooKeeper server (curator-test's TestingServer), run as its own process by the
 * tests, with a second runtime's view of the fleet: prints {@code CONNECT host:port}, then
 * {@code CREATED PATH DATA} and {@code DELETED PATH} for every node below the fleet's root (data
 * on one line, newlines as {@code |}). Publishes one endpoint of its own, {@code far} of runtime
 * {@code bench-z}, as an ephemeral node, whose fleet port (127.0.0.1:1) refuses connections. Reads
 * commands from its standard input, {@code PUBLISH PATH DATA} (data with {@code |} for newlines:
 * an ephemeral node, its data replaced when it exists; answered {@code PUBLISHED PATH}) and {@code DELETE PATH}; stops when its input closes.
 */
public final class ZooKeeperPeer {
    private static final String ROOT = "/netdrivers/fleet";

    public static void main(String[] args) throws Exception {
        try (TestingServer server = new TestingServer(true);
                CuratorFramework client = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
                CuratorCache cache = CuratorCache.build(client, ROOT)) {
            client.start();
            cache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreatesAndChanges((before, after) -> print("CREATED " + after.getPath() + " "
                            + new String(after.getData(), StandardCharsets.ISO_8859_1).replace('\n', '|')))
                    .forDeletes(gone -> print("DELETED " + gone.getPath()))
                    .build());
            cache.start();
            client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(ROOT + "/bench-z/far",
                    "type=tcp\naddress=tcp://192.0.2.9:22\nclient=c\nfleet=tcp://127.0.0.1:1\n".getBytes(StandardCharsets.ISO_8859_1));
            print("CONNECT " + server.getConnectString());
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                String[] w = line.split(" ", 3);
                if (w.length == 3 && w[0].equals("PUBLISH")) {
                    client.create().orSetData().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(w[1],
                            w[2].replace('|', '\n').getBytes(StandardCharsets.ISO_8859_1));
                    print("PUBLISHED " + w[1]);
                } else if (w.length == 2 && w[0].equals("DELETE")) {
                    client.delete().forPath(w[1]);
                    print("DELETED-BY-REQUEST " + w[1]);
                }
            }
        }
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
