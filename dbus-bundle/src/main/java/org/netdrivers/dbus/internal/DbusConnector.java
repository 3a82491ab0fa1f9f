package org.netdrivers.dbus.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.support.DriverSettings;
import org.netdrivers.support.nio.NioConnect;
import org.netdrivers.support.nio.NioStreamDriver;
import org.netdrivers.support.nio.SelectorLoop;
import org.newsclub.net.unix.AFUNIXSelectorProvider;

/**
 * The D-Bus driver's service object: tries the entries of its address list in order. Unix paths
 * and TCP use the JDK's channels on one selector thread; abstract names use junixsocket's, on a
 * second thread created only when the list has one.
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
            int timeoutMs, int bufferBytes) throws IOException {
        SelectorLoop jdk = null;
        SelectorLoop junix = null;
        List<Target> targets = new ArrayList<>();
        for (DbusAddress a : addresses) {
            if (a.unix() != null && a.unix().isAbstract()) {
                if (junix == null) {
                    junix = new SelectorLoop("netdrivers-dbus-" + common.name() + "-abstract", AFUNIXSelectorProvider.provider());
                }
                targets.add(new Target(a.toString(), junix, a.unix()::openChannel, a.unix().socketAddress(), NioConnect.UNIX_TIMEOUT_MS));
            } else {
                if (jdk == null) {
                    jdk = new SelectorLoop("netdrivers-dbus-" + common.name(), SelectorProvider.provider());
                }
                if (a.unix() != null) {
                    targets.add(new Target(a.toString(), jdk, () -> SocketChannel.open(StandardProtocolFamily.UNIX),
                            a.unix().socketAddress(), NioConnect.UNIX_TIMEOUT_MS));
                } else {
                    targets.add(new Target(a.toString(), jdk, SocketChannel::open, a.tcp(), timeoutMs));
                }
            }
        }
        List<SelectorLoop> loops = new ArrayList<>();
        if (jdk != null) {
            loops.add(jdk);
        }
        if (junix != null) {
            loops.add(junix);
        }
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
