package org.netdrivers.support.mina;

import org.netdrivers.support.stream.Completions;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoConnector;
import org.apache.mina.core.session.IoSessionInitializer;
import org.netdrivers.api.ByteStream;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.TrackingDriver;
import org.netdrivers.support.net.HostTarget;
import org.netdrivers.support.net.NetAddresses;

/**
 * A driver whose every stream is a new session of one Mina connector (TCP, UDP): connects,
 * tracks the streams, closes them all and disposes of the connector when the driver goes away.
 * The connector comes configured, with a {@link StreamIoHandler}. Its target's host name is looked
 * up again from time to time ({@link HostTarget}), and {@link #address()} follows the answer.
 */
public final class MinaConnectorDriver extends TrackingDriver {
    private final DriverSettings common;
    private final IoConnector connector;
    private final HostTarget target;
    /** The scheme of {@link #address()}: tcp, udp. */
    private final String scheme;
    private final boolean enableAddress;
    private final long stopDrainMs;
    private final IoThreads io;
    /** Connects pass it; the connector is disposed only once it is closed. */
    private final ConnectGate gate;

    public MinaConnectorDriver(DriverSettings common, IoThreads io, IoConnector connector, HostTarget target,
            String scheme, boolean enableAddress) {
        this(common, io, connector, target, scheme, enableAddress, 0);
    }

    /**
     * @param io the I/O threads whose processors the connector uses: a connect called on one of
     *     them places its session on that thread
     * @param stopDrainMs see {@link TrackingDriver#stopDrainMillis()}
     */
    public MinaConnectorDriver(DriverSettings common, IoThreads io, IoConnector connector, HostTarget target,
            String scheme, boolean enableAddress, long stopDrainMs) {
        this.io = io;
        this.stopDrainMs = stopDrainMs;
        this.common = common;
        this.connector = connector;
        this.gate = new ConnectGate(connector);
        this.target = target;
        this.scheme = scheme;
        this.enableAddress = enableAddress;
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        CompletableFuture<ByteStream> refused = refusedIfGoing();
        if (refused != null) {
            return refused;
        }
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        // the calling thread's, taken here: the connect may go on from the lookup's thread
        IoSessionInitializer<ConnectFuture> join = io.joinCallingThread();
        InetSocketAddress now = target.fresh();
        if (now != null) {
            return connect(now, join, result);
        }
        target.forConnect().thenAccept(address -> connect(address, join, result));
        return result;
    }

    private CompletableFuture<ByteStream> connect(InetSocketAddress address, IoSessionInitializer<ConnectFuture> join,
            CompletableFuture<ByteStream> result) {
        ConnectFuture future;
        try {
            Optional<ConnectFuture> begun = gate.connect(address, join);
            if (begun.isEmpty()) {
                // the driver went away between the check above and here
                result.completeExceptionally(orGoingAway(new ConnectException(common.describe() + ": stopped")));
                return result;
            }
            future = begun.get();
        } catch (RuntimeException e) {
            result.completeExceptionally(orGoingAway(e));
            return result;
        }
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (cf.isConnected()) {
                handOut(StreamIoHandler.stream(cf.getSession()), result);
            } else {
                result.completeExceptionally(connectFailure(address, cf.getException()));
            }
        });
        return result;
    }

    private Exception connectFailure(InetSocketAddress address, Throwable cause) {
        String why = cause == null ? "not connected" : Completions.message(cause);
        if (why.contains("timed out") || cause instanceof java.net.SocketTimeoutException) {
            why = "timed out after " + connector.getConnectTimeoutMillis() + " ms";
        }
        ConnectException e = new ConnectException(common.describe() + ": cannot connect to " + NetAddresses.format(scheme, address)
                + " (host " + (target.followsName() ? "\"" + target.host() + "\" at " : "") + address.getAddress().getHostAddress()
                + ", port " + address.getPort() + "): " + why);
        if (cause != null) {
            e.initCause(cause);
        }
        return orGoingAway(e);
    }

    @Override
    public Optional<String> address() {
        return enableAddress ? Optional.of(NetAddresses.format(scheme, target.current())) : Optional.empty();
    }

    @Override
    public void onAddressChange(Runnable listener) {
        target.onChange(listener);
    }

    @Override
    protected long stopDrainMillis() {
        return stopDrainMs;
    }

    @Override
    protected void releaseTransport() {
        gate.close();
        connector.dispose(false);
    }

    /** The I/O threads close the connector's sessions (Mina's close: its streams end) and dispose of it after the drain. */
    @Override
    protected boolean drainThenRelease(long ms) {
        gate.close();
        io.disposeLater(connector, ms);
        return true;
    }
}
