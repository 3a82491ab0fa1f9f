package org.netdrivers.unix.internal;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import org.netdrivers.support.DriverSettings;
import org.netdrivers.support.nio.NioConnect;
import org.netdrivers.support.nio.NioStreamDriver;
import org.netdrivers.support.nio.SelectorLoop;
import org.netdrivers.support.unix.UnixAddress;

/** The Unix driver's service object: one selector thread (the JDK's, or junixsocket's for @names) for all its streams. */
final class UnixConnector extends NioStreamDriver {
    private final UnixAddress address;
    private final SelectorLoop loop;

    private UnixConnector(DriverSettings common, UnixAddress address, int bufferBytes, SelectorLoop loop) {
        super(common, bufferBytes, List.of(loop));
        this.address = address;
        this.loop = loop;
    }

    static UnixConnector create(DriverSettings common, UnixAddress address, int bufferBytes) throws IOException {
        return new UnixConnector(common, address, bufferBytes,
                new SelectorLoop("netdrivers-unix-" + common.name(), address.selectorProvider()));
    }

    @Override
    protected List<Target> targets() throws IOException {
        return List.of(new Target(address.toString(), loop, address::openChannel, address.socketAddress(), NioConnect.UNIX_TIMEOUT_MS));
    }

    @Override
    public Optional<String> address() {
        return Optional.of(address.toString());
    }
}
