package org.netdrivers.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.netdrivers.api.NetworkConstants;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The vsock driver in the framework, with real AF_VSOCK sockets. Only CID 1 (this machine) is
 * ever connected to. These machines have /dev/vsock but no vsock loopback, so a connect to CID 1
 * times out (a kernel with a loopback refuses at once): both are a failure within the bound.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VsockIT extends NetdriversTestSupport {
    @After
    public void cleanUp() throws Exception {
        deleteConfigurations(NetworkConstants.PID_VSOCK);
    }

    @Test
    public void aConnectToCid1FailsWithinItsBoundNamingTheAddressAndTheCause() throws Exception {
        if (!Files.exists(Path.of("/dev/vsock"))) {
            System.out.println("SKIPPED aConnectToCid1FailsWithinItsBoundNamingTheAddressAndTheCause: "
                    + "this machine has no /dev/vsock (no AF_VSOCK); the driver then registers nothing and says so in one WARN line");
            return;
        }
        configureDriver(NetworkConstants.PID_VSOCK, "vm", Map.of("cid", 1, "port", 5999, "connect_timeout_ms", 1500));
        assertEquals("vsock://1:5999", registry.endpoint("vm").get().address());
        assertEquals(NetworkConstants.TYPE_VSOCK, registry.endpoint("vm").get().type());
        long t0 = System.nanoTime();
        Throwable failure = awaitFailure(driver("vm").connect());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("vsock connect to CID 1 failed after " + ms + " ms: " + failure);
        assertContains("names the address", String.valueOf(failure.getMessage()), "vsock://1:5999");
        assertTrue("names the cause: " + failure.getMessage(),
                failure.getMessage().contains("timed out") || failure.getMessage().contains("refused")
                        || failure.getMessage().contains("No such device") || failure.getMessage().contains("reset"));
        assertTrue("within the bound of 1500 ms and a little: " + ms + " ms", ms < 1500 + 3000);
        awaitCondition("status failing", () -> NetworkConstants.STATUS_FAILING.equals(registry.endpoint("vm").get().properties()
                .get(NetworkConstants.NETWORK_STATUS)));
    }

    @Test
    public void withoutAddressModeTheEndpointSaysSo() throws Exception {
        if (!Files.exists(Path.of("/dev/vsock"))) {
            System.out.println("SKIPPED withoutAddressModeTheEndpointSaysSo: this machine has no /dev/vsock (no AF_VSOCK)");
            return;
        }
        configureDriver(NetworkConstants.PID_VSOCK, "vm-hidden", Map.of("cid", 1, "port", 6000, "enable_address", false));
        assertTrue(registry.endpoint("vm-hidden").get().address().toLowerCase().contains("disabled"));
    }
}
