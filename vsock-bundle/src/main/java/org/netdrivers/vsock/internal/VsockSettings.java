package org.netdrivers.vsock.internal;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;

/** A validated vsock driver configuration. CID and port are unsigned 32-bit, kept as longs. */
record VsockSettings(long cid, long port, boolean enableAddress, int connectTimeoutMs, int bufferBytes) {
    /** VMADDR_CID_ANY and VMADDR_PORT_ANY: -1 as unsigned 32-bit; for listening, not for connecting. */
    static final long ANY = 0xFFFF_FFFFL;

    static VsockSettings read(ConfigReader config) throws InvalidConfigurationException {
        return new VsockSettings(
                unsigned(config, VsockConfig.CID, "VMADDR_CID_ANY", "the CID of the machine to reach: 2 the host, 1 this machine, 3 and up a virtual machine"),
                unsigned(config, VsockConfig.PORT, "VMADDR_PORT_ANY", "the port the machine listens on"),
                config.bool(NetworkConstants.ENABLE_ADDRESS, true),
                config.intInRange(VsockConfig.CONNECT_TIMEOUT_MS, 1, 3_600_000, VsockConfig.DEFAULT_CONNECT_TIMEOUT_MS),
                config.intInRange(VsockConfig.BUFFER_BYTES, 256 * 1024, 1 << 30, VsockConfig.DEFAULT_BUFFER_BYTES));
    }

    private static long unsigned(ConfigReader config, String field, String anyName, String expected)
            throws InvalidConfigurationException {
        long n = config.longInRange(field, 0, ANY, null);
        if (n == ANY) {
            throw config.invalid(field, "is " + ANY + " (" + anyName + "), which only a listener may use; give " + expected);
        }
        return n;
    }

    /** {@code vsock://CID:PORT}. */
    String address() {
        return "vsock://" + cid + ":" + port;
    }
}
