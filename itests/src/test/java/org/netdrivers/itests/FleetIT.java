package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import java.util.Map;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The fleet bundle (Curator and the ZooKeeper client embedded) in Felix, against a ZooKeeper
 * server in a process of its own ({@code peers.ZooKeeperPeer}), which also plays a second runtime.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FleetIT extends NetdriversTestSupport {
    private static final String PID_FLEET = "org.netdrivers.fleet";

    @Configuration
    @Override
    public Option[] configuration() {
        return new Option[] {baseOptions(), bundle("file:" + System.getProperty("netdrivers.bundles", "target/bundles") + "/fleet-bundle.jar")};
    }

    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_ECHO);
        org.osgi.service.cm.Configuration[] fleet = configurationAdmin.listConfigurations("(service.pid=" + PID_FLEET + ")");
        if (fleet != null) {
            fleet[0].delete();
        }
    }

    private static Certificates certs;

    /** The fleet's mutual-TLS fields: runtime bench-a's key, a trust store of bench-a alone. */
    static java.util.Hashtable<String, Object> tls(Certificates certs) {
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>();
        p.put("key_store", certs.store("bench-a").toString());
        p.put("key_store_password", Certificates.PASSWORD);
        p.put("trust_store", certs.store("fleet-trust").toString());
        p.put("trust_store_password", Certificates.PASSWORD);
        return p;
    }

    @org.junit.Before
    public void certificates() throws Exception {
        if (certs == null) {
            certs = Certificates.inBuildFolder("fleet-it-certs-");
            certs.keyStore("bench-a", "bench-a");
            certs.trustStore("fleet-trust", "bench-a");
        }
    }

    @Test
    public void fleetBundleResolvesWithItsEmbeddedLibraries() {
        assertEquals(Bundle.ACTIVE, installedBundle("org.netdrivers.fleet").getState());
    }

    @Test
    public void sharedEndpointIsPublishedAndOtherRuntimesEndpointIsRegistered() throws Exception {
        try (Peer zookeeper = Peer.java("ZooKeeperPeer")) {
            String connect = zookeeper.awaitLine("CONNECT", 30_000);
            configureDriver(NetworkConstants.PID_ECHO, "dut", Map.of("network.fleet", "true"));
            configureDriver(NetworkConstants.PID_ECHO, "private", Map.of());
            org.osgi.service.cm.Configuration fleet = configurationAdmin.getConfiguration(PID_FLEET, "?");
            java.util.Hashtable<String, Object> props = tls(certs);
            props.putAll(Map.of("zookeeper", connect, "runtime", "bench-a", "listen", "tcp://127.0.0.1:" + FreePort.find()));
            fleet.update(props);

            String published = zookeeper.awaitLine("CREATED /netdrivers/fleet/bench-a/dut", WAIT_MS);
            assertContains("the record", published, "type=echo");
            assertContains("the record", published, "address=echo\\:dut");

            ServiceReference<NetworkInterface> far = awaitDriver("bench-z/far");
            assertEquals("bench-z", far.getProperty("network.runtime"));
            assertEquals("tcp://192.0.2.9:22", far.getProperty(NetworkConstants.NETWORK_ADDRESS));
            Throwable refused = awaitFailure(context.getService(far).connect());
            // its owner's fleet port (127.0.0.1:1) refuses connections
            assertContains("the owner is not there", refused.getMessage(), "fleet endpoint bench-z/far via tcp://127.0.0.1:1: cannot connect");

            // renamed: the old node goes, the new name is published
            configure(NetworkConstants.PID_ECHO, "dut", Map.of(NetworkConstants.NETWORK_NAME, "dut2", "network.fleet", "true"));
            zookeeper.awaitLine("DELETED /netdrivers/fleet/bench-a/dut", WAIT_MS);
            zookeeper.awaitLine("CREATED /netdrivers/fleet/bench-a/dut2", WAIT_MS);

            deleteConfigurations(NetworkConstants.PID_ECHO);
            zookeeper.awaitLine("DELETED /netdrivers/fleet/bench-a/dut2", WAIT_MS);
            assertEquals("the unshared endpoint was never published", null,
                    zookeeper.lastLine("CREATED /netdrivers/fleet/bench-a/private"));

            fleet.delete();
            awaitNoDriver("bench-z/far");
            awaitNoFleetThreads("the fleet's and ZooKeeper's threads to end");
        }
    }

    /** Field use: only the remote endpoints it matches are registered here; a change of properties moves one out. */
    @Test
    public void useSelectsWhichRemoteEndpointsAreRegistered() throws Exception {
        try (Peer zookeeper = Peer.java("ZooKeeperPeer")) {
            String connect = zookeeper.awaitLine("CONNECT", 30_000);
            org.osgi.service.cm.Configuration fleet = configurationAdmin.getConfiguration(PID_FLEET, "?");
            java.util.Hashtable<String, Object> props = tls(certs);
            props.putAll(Map.of("zookeeper", connect, "runtime", "bench-a", "listen", "tcp://127.0.0.1:" + FreePort.find(),
                    "use", "(&(network.runtime=bench-x)(network.type=tcp))"));
            fleet.update(props);
            try {
                zookeeper.send("PUBLISH /netdrivers/fleet/bench-x/dut type=tcp|address=tcp://192.0.2.7:22|client=c|fleet=tcp://127.0.0.1:1");
                zookeeper.send("PUBLISH /netdrivers/fleet/bench-x/log type=udp|address=udp://192.0.2.7:514|client=c|fleet=tcp://127.0.0.1:1");
                awaitDriver("bench-x/dut");
                zookeeper.awaitLine("CREATED /netdrivers/fleet/bench-x/log", WAIT_MS);
                Thread.sleep(200); // the fleet's cache saw bench-x/log with bench-x/dut; had it registered it, it would be there by now
                assertEquals("bench-z/far (another runtime) is not used", 0, context.getServiceReferences(NetworkInterface.class,
                        "(network.name=bench-z/far)").size());
                assertEquals("bench-x/log (not tcp) is not used", 0, context.getServiceReferences(NetworkInterface.class,
                        "(network.name=bench-x/log)").size());
                // bench-x/dut's type changes: it no longer matches, and goes
                zookeeper.send("PUBLISH /netdrivers/fleet/bench-x/dut type=udp|address=udp://192.0.2.7:22|client=c|fleet=tcp://127.0.0.1:1");
                awaitNoDriver("bench-x/dut");
            } finally {
                fleet.delete();
            }
            awaitNoFleetThreads("the fleet's and ZooKeeper's threads to end");
        }
    }

    /**
     * The fleet's key store renewed in place (the same path, new content: what a CA's renewal job
     * does) is what its port presents to the next connection, without a change of configuration:
     * the fleet's timer checks the files every 5 s, and one INFO line says so.
     */
    @Test
    public void aKeyStoreRenewedInPlaceIsWhatTheFleetPortPresentsNext() throws Exception {
        certs.keyStore("bench-renewed", "bench-renewed");
        java.nio.file.Path key = java.nio.file.Files.copy(certs.store("bench-a"), certs.store("fleet-renewing-key"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        int port = FreePort.find();
        try (Peer zookeeper = Peer.java("ZooKeeperPeer"); LogCapture log = new LogCapture(context)) {
            String connect = zookeeper.awaitLine("CONNECT", 30_000);
            org.osgi.service.cm.Configuration fleet = configurationAdmin.getConfiguration(PID_FLEET, "?");
            java.util.Hashtable<String, Object> props = tls(certs);
            props.put("key_store", key.toString());
            props.putAll(Map.of("zookeeper", connect, "runtime", "bench-a", "listen", "tcp://127.0.0.1:" + port));
            fleet.update(props);
            try {
                awaitCondition("the fleet port presents bench-a's certificate", () -> "CN=bench-a".equals(presented(port)));
                java.nio.file.Path next = java.nio.file.Files.createTempFile(key.getParent(), "renewing", ".tmp");
                java.nio.file.Files.copy(certs.store("bench-renewed"), next, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                java.nio.file.Files.move(next, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                awaitCondition("the fleet port presents the renewed certificate (the timer checks every 5 s)",
                        () -> "CN=bench-renewed".equals(presented(port)));
                assertEquals("one INFO line for the renewal", 1, log.lines("Fleet: key_store or trust_store", "changed on disk").size());
                assertEquals(java.util.List.of(), log.errors());
            } finally {
                fleet.delete();
            }
            awaitNoFleetThreads("the fleet's and ZooKeeper's threads to end");
        }
    }

    /**
     * The subject of the certificate the fleet port on {@code port} presents to a client with
     * bench-a's key (the port asks for one), or null when no handshake completes. The client's
     * trust manager accepts any server chain: it only records what it is shown.
     */
    private static String presented(int port) {
        String[] subject = new String[1];
        javax.net.ssl.X509TrustManager recording = new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("a client only");
            }

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                subject[0] = chain[0].getSubjectX500Principal().getName();
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        };
        try {
            java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(certs.store("bench-a"))) {
                keys.load(in, Certificates.PASSWORD.toCharArray());
            }
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                    javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, Certificates.PASSWORD.toCharArray());
            javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {recording}, null);
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.setSoTimeout(5000);
                s.startHandshake();
            }
            return subject[0];
        } catch (Exception notYet) {
            return null;
        }
    }
}
