package org.netdrivers.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.fleet.internal.BenchFleet;
import org.netdrivers.launcher.Main;
import org.osgi.framework.launch.Framework;

/**
 * The bytes per second one fleet connection carries, against a plain TCP export of the same TCP
 * driver, in one run: the runtime (in-process, with the fleet bundle configured: runtime bench-a,
 * a mutual-TLS fleet port on loopback, its own certificate the one allowed) shares TCP drivers
 * {@code dut} (to a sink) and {@code eut} (to an echo server), each also exported plainly. The
 * bench, as runtime bench-x through the fleet's own {@code Fleet}, publishes the two again with
 * bench-a's fleet port as the owner's address, so bench-a registers the remote endpoints
 * {@code bench-x/dut} and {@code bench-x/eut}; a TCP forward of each takes the whole fleet path:
 * the registry, the remote endpoint's connect (mutual TLS 1.3, the handshake line), the fleet port,
 * the registry's open of the shared endpoint, the TCP driver, and back.
 */
final class FleetData {
    private static final String PASSWORD = "bench-only";

    private FleetData() {}

    static void run(Path dist, String zookeeper, boolean quick) throws Exception {
        long bulk = (quick ? 256L : 1024L) << 20;
        int roundTrips = quick ? 5_000 : 20_000;
        try (Bench.Sink sink = new Bench.Sink(); Bench.Echo echo = new Bench.Echo()) {
            Path home = Files.createTempDirectory("netdrivers-fleet-data");
            Path etc = Files.createDirectories(home.resolve("etc"));
            Path certs = Files.createTempDirectory("nd-fleet-certs");
            BenchFleet benchX = null;
            Framework framework = null;
            try {
                Bench.writeQuietLogging(home);
                TlsBench.keytool("-genkeypair", "-alias", "bench-a", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bench-a",
                        "-validity", "2", "-storetype", "PKCS12", "-keystore", certs.resolve("bench-a.p12").toString(),
                        "-storepass", PASSWORD, "-keypass", PASSWORD);
                TlsBench.keytool("-exportcert", "-alias", "bench-a", "-keystore", certs.resolve("bench-a.p12").toString(),
                        "-storepass", PASSWORD, "-file", certs.resolve("bench-a.cer").toString());
                TlsBench.keytool("-importcert", "-noprompt", "-alias", "bench-a", "-file", certs.resolve("bench-a.cer").toString(),
                        "-storetype", "PKCS12", "-keystore", certs.resolve("trust.p12").toString(), "-storepass", PASSWORD);
                int fleetPort = Bench.freePort();
                int dutExport = Bench.freePort();
                int eutExport = Bench.freePort();
                int dutForward = Bench.freePort();
                int eutForward = Bench.freePort();
                Files.writeString(etc.resolve("org.netdrivers.tcp-dut.cfg"), "network.name = dut\nhost = 127.0.0.1\nport = " + sink.port()
                        + "\nnetwork.export = tcp://127.0.0.1:" + dutExport + "\nnetwork.fleet = true\n");
                Files.writeString(etc.resolve("org.netdrivers.tcp-eut.cfg"), "network.name = eut\nhost = 127.0.0.1\nport = " + echo.port()
                        + "\nnetwork.export = tcp://127.0.0.1:" + eutExport + "\nnetwork.fleet = true\n");
                Files.writeString(etc.resolve("org.netdrivers.fleet.cfg"), "zookeeper = " + zookeeper + "\nruntime = bench-a\n"
                        + "listen = tcp://127.0.0.1:" + fleetPort + "\nkey_store = " + certs.resolve("bench-a.p12") + "\n"
                        + "key_store_password = " + PASSWORD + "\ntrust_store = " + certs.resolve("trust.p12") + "\n"
                        + "trust_store_password = " + PASSWORD + "\nallow = CN=bench-a\n");
                Files.writeString(etc.resolve("org.netdrivers.forward-dut.cfg"), "target = bench-x/dut\nlisten = tcp://127.0.0.1:"
                        + dutForward + "\n");
                Files.writeString(etc.resolve("org.netdrivers.forward-eut.cfg"), "target = bench-x/eut\nlisten = tcp://127.0.0.1:"
                        + eutForward + "\n");
                framework = Main.start(dist, home, false);

                benchX = new BenchFleet(zookeeper, "bench-x", 30000, new BenchFleet.Seen() {
                    @Override
                    public void appeared(String runtime, String name, String address) {
                    }

                    @Override
                    public void gone(String runtime, String name) {
                    }
                });
                benchX.start();
                for (String name : new String[] {"dut", "eut"}) {
                    benchX.publish(name, NetworkConstants.TYPE_TCP, "", NetworkConstants.CLIENT_NETWORK, "tcp://127.0.0.1:" + fleetPort);
                }
                Bench.awaitListening(dutExport);
                Bench.awaitListening(dutForward);
                Bench.awaitListening(eutForward);
                // the forwards listen before bench-x/dut exists: the first transfer that completes says the path is up
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (true) {
                    try {
                        Bench.throughput(dutForward, 1 << 20);
                        Bench.latency(eutForward, 10);
                        break;
                    } catch (IOException e) {
                        if (System.nanoTime() > deadline) {
                            throw new IOException("the fleet path through bench-x/dut did not carry 1 MiB within 60 s: " + e, e);
                        }
                        Thread.sleep(200);
                    }
                }

                System.out.printf(Locale.ROOT, "data path: one fleet connection against a plain TCP export of the same TCP driver (%d MiB to a"
                        + " sink, best of 3; %d round trips of 64 B to an echo)%n", bulk >> 20, roundTrips);
                Bench.throughput(sink.port(), 64L << 20); // warm-up, every path
                Bench.throughput(dutExport, 64L << 20);
                Bench.throughput(dutForward, 64L << 20);
                double direct = 0;
                double plain = 0;
                double fleet = 0;
                for (int i = 0; i < 3; i++) {
                    direct = Math.max(direct, Bench.throughput(sink.port(), bulk));
                    plain = Math.max(plain, Bench.throughput(dutExport, bulk));
                    fleet = Math.max(fleet, Bench.throughput(dutForward, bulk));
                }
                System.out.printf(Locale.ROOT, "  %-78s %.0f MiB/s%n", "direct to the sink (no runtime)", direct);
                System.out.printf(Locale.ROOT, "  %-78s %.0f MiB/s (%.2fx direct)%n", "plain TCP export of dut (client -> export -> TCP driver)",
                        plain, plain / direct);
                System.out.printf(Locale.ROOT, "  %-78s %.0f MiB/s (%.2fx the plain export)%n",
                        "forward of bench-x/dut (-> fleet connector, mutual TLS 1.3 -> fleet port -> dut)", fleet, fleet / plain);
                Bench.latency(eutExport, 2000);
                Bench.latency(eutForward, 2000);
                long[] lPlain = Bench.latency(eutExport, roundTrips);
                long[] lFleet = Bench.latency(eutForward, roundTrips);
                System.out.printf(Locale.ROOT, "  %-78s plain export %s | fleet %s%n", "64 B round trip, us p50/p99", us(lPlain), us(lFleet));
                System.out.println();
            } finally {
                if (benchX != null) {
                    benchX.close();
                }
                if (framework != null) {
                    Main.stop(framework);
                }
                for (Path dir : new Path[] {home, certs}) {
                    try (Stream<Path> files = Files.walk(dir)) {
                        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
    }

    private static String us(long[] sorted) {
        return String.format(Locale.ROOT, "%.1f/%.1f", sorted[sorted.length / 2] / 1e3,
                sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e3);
    }
}
