package org.netdrivers.unix.internal;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.netdrivers.io.IoThreads;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.net.SocketBuffers;
import org.netdrivers.support.nio.NioConnect;
import org.netdrivers.support.nio.NioStreamDriver;
import org.netdrivers.support.unix.UnixAddress;

/**
 * The Unix driver's service object. A path is served by the runtime's selector loops (the JDK's
 * channels): a stream opened from one of them stays on it, so that an export's relay can splice
 * it with the connection it serves. An {@code @name} (junixsocket's channels, their own selector)
 * has one loop of the driver's for all its streams.
 */
final class UnixConnector extends NioStreamDriver {
    private final UnixAddress address;
    private final Target target;

    private UnixConnector(DriverSettings common, UnixAddress address, int bufferBytes, Supplier<SelectorLoop> loop,
            NioConnect.ChannelOpener opener, List<SelectorLoop> ownLoops) throws IOException {
        super(common, bufferBytes, ownLoops);
        this.address = address;
        this.target = new Target(address.toString(), loop, opener, address.socketAddress(), NioConnect.UNIX_TIMEOUT_MS);
    }

    /** @param socketBufferBytes SO_SNDBUF and SO_RCVBUF of a path's sockets; 0 for the system's default */
    static UnixConnector create(DriverSettings common, UnixAddress address, int bufferBytes, int socketBufferBytes,
            IoThreads io) throws IOException {
        if (!address.isAbstract()) {
            return new UnixConnector(common, address, bufferBytes, io::loop,
                    () -> SocketBuffers.apply(address.openChannel(), socketBufferBytes), List.of());
        }
        SelectorLoop own = new SelectorLoop("netdrivers-unix-" + common.name(), address.selectorProvider());
        return new UnixConnector(common, address, bufferBytes, () -> own, address::openChannel, List.of(own));
    }

    @Override
    protected List<Target> targets() {
        return List.of(target);
    }

    @Override
    public Optional<String> address() {
        return Optional.of(address.toString());
    }
}
