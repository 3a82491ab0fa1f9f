package org.netdrivers.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.apache.zookeeper.server.ZooKeeperServerMain;

/**
 * A single ZooKeeper server for trying the fleet on one machine ({@code bash bench/zookeeper
 * [PORT]}): ZooKeeper's own standalone server on 127.0.0.1 only (default port 2181), its data in a
 * temporary folder deleted when it stops, no admin server. Not for a lab: there, an ensemble of
 * three servers of your own.
 */
public final class ZooKeeperForTrying {
    private ZooKeeperForTrying() {}

    public static void main(String[] args) throws Exception {
        int port = 2181;
        if (args.length > 1 || (args.length == 1 && !args[0].matches("\\d{1,5}"))) {
            System.err.println("usage: bash bench/zookeeper [PORT]   (default 2181, on 127.0.0.1)");
            System.exit(2);
        } else if (args.length == 1) {
            port = Integer.parseInt(args[0]);
        }
        Path dir = Files.createTempDirectory("netdrivers-zookeeper");
        Path cfg = dir.resolve("zoo.cfg");
        Files.writeString(cfg, String.join("\n",
                "tickTime=2000",
                "dataDir=" + dir.resolve("data"),
                "clientPort=" + port,
                "clientPortAddress=127.0.0.1",
                "admin.enableServer=false",
                // every runtime of a one-machine trial comes from 127.0.0.1 (the default allows 60 per address)
                "maxClientCnxns=0",
                ""));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "zookeeper-cleanup"));
        System.out.println("ZooKeeper for trying the fleet on 127.0.0.1:" + port + " (data in " + dir
                + ", deleted when it stops; kill it or Ctrl-C to stop)");
        ZooKeeperServerMain.main(new String[] {cfg.toString()}); // runs until the process ends; exits when the port is taken
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
