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
            certs = new Certificates(java.nio.file.Files.createTempDirectory("nd-fleet"));
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

            deleteConfigurations(NetworkConstants.PID_ECHO);
            zookeeper.awaitLine("DELETED /netdrivers/fleet/bench-a/dut", WAIT_MS);
            assertEquals("the unshared endpoint was never published", null,
                    zookeeper.lastLine("CREATED /netdrivers/fleet/bench-a/private"));

            fleet.delete();
            awaitNoDriver("bench-z/far");
            // Curator's threads are made by the fleet's thread factory; ZooKeeper names its own after the
            // thread that started the client, with -SendThread and -EventThread appended
            awaitCondition("the fleet's and ZooKeeper's threads to end", () -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith("netdrivers-fleet") || t.getName().endsWith("-SendThread")
                            || t.getName().endsWith("-EventThread") || t.getName().contains("-SendThread(")));
        }
    }
}
