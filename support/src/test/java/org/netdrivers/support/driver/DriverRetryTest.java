package org.netdrivers.support.driver;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.felix.framework.FrameworkFactory;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.io.internal.IoThreadsService;
import org.netdrivers.support.mina.MinaConnectorDriver;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;

/**
 * A driver whose host name does not resolve yet (a boot before the network or the name service)
 * is registered once the name resolves, without a change of configuration; one deactivated
 * meanwhile never is. A real Felix framework holds the services. Name lookups go to a hosts file
 * of this test ({@code jdk.net.hosts.file}, with negative answers not cached: the surefire
 * execution {@code driver-retry} in this module's pom sets both), so the test decides when the
 * name resolves; nothing is sent on any network.
 */
public class DriverRetryTest {
    private static final String NAME = "dut-retry.test";

    private Framework framework;
    private BundleContext context;
    private Path hosts;

    @Before
    public void setUp() throws Exception {
        String file = System.getProperty("jdk.net.hosts.file");
        Assume.assumeTrue("runs in the surefire execution driver-retry only (it sets jdk.net.hosts.file)", file != null);
        hosts = Path.of(file);
        Files.writeString(hosts, "127.0.0.1 localhost\n");
        // the framework's storage beside the hosts file, in the build folder (removed by mvn clean)
        Path storage = Files.createTempDirectory(hosts.toAbsolutePath().getParent(), "driver-retry-felix");
        framework = new FrameworkFactory().newFramework(Map.of(Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.start();
        context = framework.getBundleContext();
    }

    @After
    public void tearDown() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(10_000);
        }
    }

    /** A driver of this test: its target is the configured host, resolved; it never connects. */
    private static final class ResolvedDriver implements ManagedDriver {
        final InetSocketAddress target;

        ResolvedDriver(InetSocketAddress target) {
            this.target = target;
        }

        @Override
        public CompletionStage<ByteStream> connect() {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("this test's driver does not connect"));
        }

        @Override
        public Optional<String> address() {
            return Optional.of("tcp://" + target.getAddress().getHostAddress() + ":" + target.getPort());
        }

        @Override
        public void refuseNewStreams(StreamClosedException reason) {
        }

        @Override
        public void dispose(StreamClosedException reason) {
        }
    }

    private DriverRegistration activate(String name) {
        return activate(name, NAME);
    }

    private DriverRegistration activate(String name, String host) {
        Map<String, Object> properties = Map.of("service.pid", "org.netdrivers.test~" + name, NetworkConstants.NETWORK_NAME, name,
                "host", host, "port", 7);
        return DriverRegistration.activate(context, properties, "test", NetworkConstants.CLIENT_NETWORK,
                (config, common) -> new ResolvedDriver(config.socketAddress("host", config.requiredString("host"), 7)));
    }

    private ServiceReference<NetworkInterface> service(String name) throws Exception {
        var refs = context.getServiceReferences(NetworkInterface.class, "(" + NetworkConstants.NETWORK_NAME + "=" + name + ")");
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    @Test
    public void aDriverWhoseHostDoesNotResolveYetIsRegisteredOnceItDoes() throws Exception {
        DriverRegistration r = activate("late");
        assertNotNull("not refused for good: the name may resolve later", r);
        assertNull("nothing registered while the name does not resolve", service("late"));
        Thread.sleep(1_500); // one attempt more, still without the name
        assertNull(service("late"));
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.7 " + NAME + "\n");
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (service("late") == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        ServiceReference<NetworkInterface> ref = service("late");
        assertNotNull("registered once the name resolves (attempts after 1, 2, 4 and 8 s)", ref);
        assertEquals("tcp://127.0.0.7:7", ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
        r.deactivate(4);
        assertNull("unregistered at deactivation", service("late"));
    }

    @Test
    public void aDriverDeactivatedBeforeItsHostResolvesIsNeverRegistered() throws Exception {
        DriverRegistration r = activate("gone");
        assertNotNull(r);
        r.deactivate(4);
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.7 " + NAME + "\n");
        Thread.sleep(3_500); // past the attempts due at 1 and 3 s
        assertNull("no attempt after the deactivation", service("gone"));
    }

    /**
     * A deactivation that comes while a later attempt is registering the service (the framework
     * delivering its event to the listeners) waits for that attempt, which sees the deactivation
     * and unregisters the service: none is left when the deactivation returns. Before, the
     * deactivation returned at once and the service went a moment later (a CI run saw it still
     * registered).
     */
    @Test(timeout = 60_000)
    public void aDeactivationDuringALaterRegistrationReturnsOnlyOnceTheServiceIsGone() throws Exception {
        CountDownLatch registering = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        context.addServiceListener(event -> {
            if (event.getType() == ServiceEvent.REGISTERED) {
                registering.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS); // the registration is under way for as long as this listener runs
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "(" + NetworkConstants.NETWORK_NAME + "=racing)");
        String host = "dut-racing.test"; // a name of its own: the JVM keeps the answers of names that resolved
        DriverRegistration r = activate("racing", host);
        assertNotNull(r);
        assertNull("not registered while the name does not resolve", service("racing"));
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.7 " + host + "\n");
        assertTrue("a later attempt registers", registering.await(20, TimeUnit.SECONDS));
        Thread deactivation = new Thread(() -> r.deactivate(4), "test-deactivation");
        deactivation.start();
        deactivation.join(300);
        boolean waited = deactivation.isAlive();
        release.countDown();
        deactivation.join(10_000);
        assertTrue("the deactivation waited for the registration under way", waited);
        assertNull("no service once the deactivation returned", service("racing"));
    }

    @Test
    public void aProblemOnlyAChangeOfConfigurationCuresIsNotTriedAgain() throws Exception {
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.7 " + NAME + "\n");
        Map<String, Object> properties = Map.of("service.pid", "org.netdrivers.test~bad", NetworkConstants.NETWORK_NAME, "bad name",
                "host", NAME);
        DriverRegistration r = DriverRegistration.activate(context, properties, "test", NetworkConstants.CLIENT_NETWORK,
                (config, common) -> new ResolvedDriver(config.socketAddress("host", config.requiredString("host"), 7)));
        assertNull("refused for good", r);
        assertTrue(context.getServiceReferences(NetworkInterface.class, null).isEmpty());
    }

    /**
     * A registered TCP driver whose host name now points elsewhere (a new DHCP lease) connects
     * there once its last answer has aged past the lookup interval (1 s here: the JVM caches no
     * answer), and its {@code network.address} follows; the stream opened before stays with the
     * old address. Two listeners on one port of 127.0.0.2 and 127.0.0.3 stand for the device
     * before and after.
     */
    @Test(timeout = 60_000)
    public void aRegisteredDriverFollowsItsHostNameToANewAddress() throws Exception {
        String host = "dut-moving.test";
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.2 " + host + "\n");
        IoThreadsService io = new IoThreadsService("test-io", 1);
        try (ServerSocket before = new ServerSocket(); ServerSocket after = new ServerSocket()) {
            before.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            int port = before.getLocalPort();
            after.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), port));
            before.setSoTimeout(10_000);
            after.setSoTimeout(10_000);
            Map<String, Object> properties = Map.of("service.pid", "org.netdrivers.test~moving", NetworkConstants.NETWORK_NAME,
                    "moving", "host", host, "port", port);
            DriverRegistration r = DriverRegistration.activate(context, properties, "test", NetworkConstants.CLIENT_NETWORK,
                    (config, common) -> {
                        NioSocketConnector connector = MinaTransports.socketConnector(io);
                        connector.setHandler(new StreamIoHandler(s -> MinaTransports.tcpStream(s, "moving", 1 << 20), s -> { }));
                        return new MinaConnectorDriver(common, io, connector, config.hostTarget("host", host, port, common.describe()),
                                "tcp", true);
                    });
            assertNotNull(r);
            ServiceReference<NetworkInterface> ref = service("moving");
            assertEquals("tcp://127.0.0.2:" + port, ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
            NetworkInterface driver = context.getService(ref);
            ByteStream old = driver.connect().toCompletableFuture().get(10, TimeUnit.SECONDS);
            try (Socket deviceBefore = before.accept()) {
                Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.3 " + host + "\n");
                Thread.sleep(1_100); // the last answer ages past the interval
                ByteStream moved = driver.connect().toCompletableFuture().get(10, TimeUnit.SECONDS);
                try (Socket deviceAfter = after.accept()) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!("tcp://127.0.0.3:" + port).equals(ref.getProperty(NetworkConstants.NETWORK_ADDRESS))
                            && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    assertEquals("the service property follows", "tcp://127.0.0.3:" + port,
                            ref.getProperty(NetworkConstants.NETWORK_ADDRESS));
                    old.send(ByteBuffer.wrap("old".getBytes(StandardCharsets.US_ASCII))).toCompletableFuture().get(10, TimeUnit.SECONDS);
                    moved.send(ByteBuffer.wrap("new".getBytes(StandardCharsets.US_ASCII))).toCompletableFuture().get(10, TimeUnit.SECONDS);
                    assertEquals("the stream opened before stays with the old address", "old", read3(deviceBefore));
                    assertEquals("new", read3(deviceAfter));
                }
                moved.close();
            }
            old.close();
            context.ungetService(ref);
            r.deactivate(4);
        } finally {
            io.close();
        }
    }

    private static String read3(Socket s) throws Exception {
        s.setSoTimeout(10_000);
        return new String(s.getInputStream().readNBytes(3), StandardCharsets.US_ASCII);
    }
}
