package org.netdrivers.dbus.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.io.IoThreads;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.nio.NioConnect;
import org.netdrivers.support.nio.NioStreamDriver;
import org.newsclub.net.unix.AFUNIXSelectorProvider;

/**
 * The D-Bus driver's service object: tries the entries of its address list in order. Unix paths
 * and TCP use the JDK's channels on the runtime's selector loops (a stream opened from one stays
 * on it, so that an export's relay can splice it with the connection it serves); abstract names
 * use junixsocket's, on a thread of the driver's created only when the list has one.
 */
final class DbusConnector extends NioStreamDriver {
    private final String kind;
    private final List<Target> targets;
    private final boolean enableAddress;
    private volatile Target reached;
    private volatile Runnable addressListener;

    private DbusConnector(DriverSettings common, String kind, List<Target> targets, List<SelectorLoop> loops,
            boolean enableAddress, int bufferBytes) {
        super(common, bufferBytes, loops);
        this.kind = kind;
        this.targets = targets;
        this.enableAddress = enableAddress;
        this.reached = targets.get(0);
    }

    static DbusConnector create(DriverSettings common, String kind, List<DbusAddress> addresses, boolean enableAddress,
            int timeoutMs, int bufferBytes, IoThreads io) throws IOException {
        SelectorLoop junix = null;
        List<Target> targets = new ArrayList<>();
        for (DbusAddress a : addresses) {
            if (a.unix() != null && a.unix().isAbstract()) {
                if (junix == null) {
                    junix = new SelectorLoop("netdrivers-dbus-" + common.name() + "-abstract", AFUNIXSelectorProvider.provider());
                }
                SelectorLoop own = junix;
                targets.add(new Target(a.toString(), () -> own, a.unix()::openChannel, a.unix().socketAddress(),
                        NioConnect.UNIX_TIMEOUT_MS));
            } else if (a.unix() != null) {
                targets.add(new Target(a.toString(), io::loop, () -> SocketChannel.open(StandardProtocolFamily.UNIX),
                        a.unix().socketAddress(), NioConnect.UNIX_TIMEOUT_MS));
            } else {
                targets.add(new Target(a.toString(), io::loop, SocketChannel::open, a.tcp(), timeoutMs));
            }
        }
        List<SelectorLoop> loops = junix == null ? List.of() : List.of(junix);
        return new DbusConnector(common, kind, List.copyOf(targets), loops, enableAddress, bufferBytes);
    }

    @Override
    protected List<Target> targets() {
        return targets;
    }

    @Override
    protected void reached(Target target) {
        if (reached != target) {
            reached = target;
            Runnable l = addressListener;
            if (l != null) {
                l.run();
            }
        }
    }

    @Override
    public void onAddressChange(Runnable listener) {
        addressListener = listener;
    }

    /** The entry of the address list the last stream reached (the first entry before any did). */
    @Override
    public Optional<String> address() {
        return enableAddress ? Optional.of(reached.label()) : Optional.empty();
    }

    @Override
    public String client() {
        return NetworkConstants.CLIENT_DBUS;
    }

    @Override
    public Map<String, Object> extraProperties() {
        return Map.of(NetworkConstants.DBUS_KIND, kind);
    }
}
