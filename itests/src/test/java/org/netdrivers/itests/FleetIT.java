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
}
