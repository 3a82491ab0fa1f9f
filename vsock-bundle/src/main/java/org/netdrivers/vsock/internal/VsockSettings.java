package org.netdrivers.vsock.internal;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.InvalidConfigurationException;

/** A validated vsock driver configuration. CID and port are unsigned 32-bit, kept as longs. */
record VsockSettings(long cid, long port, boolean enableAddress, int connectTimeoutMs, int bufferBytes) {
    /** VMADDR_CID_ANY and VMADDR_PORT_ANY: -1 as unsigned 32-bit; for listening, not for connecting. */
    static final long ANY = 0xFFFF_FFFFL;

    static VsockSettings read(ConfigReader config) throws InvalidConfigurationException {
        refuseAny(config, VsockConfig.CID, "VMADDR_CID_ANY", "the CID of the machine to reach: 2 the host, 1 this machine, 3 and up a virtual machine");
        refuseAny(config, VsockConfig.PORT, "VMADDR_PORT_ANY", "the port the machine listens on");
        VsockConfig c = config.read(VsockConfig.class);
        return new VsockSettings(c.cid(), c.port(), c.enable__address(), c.connect__timeout__ms(), c.buffer__bytes());
    }

    /**
     * A CID or port of VMADDR_*_ANY is what a listener may use, not a connect: said so before the
     * type's range check (0..4294967294) would only say that it is out of range.
     */
    private static void refuseAny(ConfigReader config, String field, String anyName, String expected)
            throws InvalidConfigurationException {
        if (config.holdsInteger(field, ANY)) {
            throw config.invalid(field, "is " + ANY + " (" + anyName + "), which only a listener may use; give " + expected);
        }
    }

    /** {@code vsock://CID:PORT}. */
    String address() {
        return "vsock://" + cid + ":" + port;
    }
}
