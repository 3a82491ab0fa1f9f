package org.netdrivers.vsock.internal;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Optional;

import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.nio.NioConnect;
import org.netdrivers.support.nio.NioStreamDriver;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * The vsock driver's service object: one selector loop of the driver's (junixsocket's selector,
 * which AF_VSOCK channels need) serves all its streams; the stream code is the Unix driver's.
 */
final class VsockConnector extends NioStreamDriver {
    private final VsockSettings settings;
    private final Target target;

    /**
     * @param loop, opener, address where the streams go: AF_VSOCK in the runtime; tests give the
     *        same driver a Unix-domain socket (same channel base class, same stream code)
     */
    VsockConnector(DriverSettings common, VsockSettings settings, SelectorLoop loop, NioConnect.ChannelOpener opener,
            SocketAddress address) {
        super(common, settings.bufferBytes(), List.of(loop));
        this.settings = settings;
        this.target = new Target(settings.address(), () -> loop, opener, address, settings.connectTimeoutMs());
    }

    static VsockConnector create(DriverSettings common, VsockSettings settings) throws IOException {
        AFVSOCKSocketAddress address;
        try {
            // unsigned 32-bit values, as the kernel's struct sockaddr_vm holds them
            address = AFVSOCKSocketAddress.ofPortAndCID((int) settings.port(), (int) settings.cid());
        } catch (SocketException e) {
            throw new IOException("not a vsock address: " + settings.address() + ": " + e.getMessage(), e);
        }
        return new VsockConnector(common, settings,
                new SelectorLoop("netdrivers-vsock-" + common.name(), VsockFamily.PROVIDER), VsockFamily::openChannel, address);
    }

    @Override
    protected List<Target> targets() {
        return List.of(target);
    }

    @Override
    public Optional<String> address() {
        return settings.enableAddress() ? Optional.of(settings.address()) : Optional.empty();
    }
}
