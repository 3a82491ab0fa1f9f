package org.netdrivers.support.mina;

import org.netdrivers.support.stream.Completions;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoConnector;
import org.netdrivers.api.ByteStream;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.TrackingDriver;

/**
 * A driver whose every stream is a new session of one Mina connector (TCP, UDP): connects,
 * tracks the streams, closes them all and disposes of the connector when the driver goes away.
 * The connector comes configured, with a {@link StreamIoHandler}.
 */
public final class MinaConnectorDriver extends TrackingDriver {
    private final DriverSettings common;
    private final IoConnector connector;
    private final InetSocketAddress target;
    private final String describeTarget;
    private final boolean enableAddress;
    private final long stopDrainMs;
    private final IoThreads io;
    /** Connects pass it; the connector is disposed only once it is closed. */
    private final ConnectGate gate;

    public MinaConnectorDriver(DriverSettings common, IoThreads io, IoConnector connector, InetSocketAddress target,
            String describeTarget, boolean enableAddress) {
        this(common, io, connector, target, describeTarget, enableAddress, 0);
    }

    /**
     * @param io the I/O threads whose processors the connector uses: a connect called on one of
     *     them places its session on that thread
     * @param stopDrainMs see {@link TrackingDriver#stopDrainMillis()}
     */
    public MinaConnectorDriver(DriverSettings common, IoThreads io, IoConnector connector, InetSocketAddress target,
            String describeTarget, boolean enableAddress, long stopDrainMs) {
        this.io = io;
        this.stopDrainMs = stopDrainMs;
        this.common = common;
        this.connector = connector;
        this.gate = new ConnectGate(connector);
        this.target = target;
        this.describeTarget = describeTarget;
        this.enableAddress = enableAddress;
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        CompletableFuture<ByteStream> refused = refusedIfGoing();
        if (refused != null) {
            return refused;
        }
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        ConnectFuture future;
        try {
            Optional<ConnectFuture> begun = gate.connect(target, io.joinCallingThread());
            if (begun.isEmpty()) {
                // the driver went away between the check above and here
                return CompletableFuture.failedFuture(orGoingAway(new ConnectException(common.describe() + ": stopped")));
            }
            future = begun.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(orGoingAway(e));
        }
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (cf.isConnected()) {
                handOut(StreamIoHandler.stream(cf.getSession()), result);
            } else {
                result.completeExceptionally(connectFailure(cf.getException()));
            }
        });
        return result;
    }

    private Exception connectFailure(Throwable cause) {
        String why = cause == null ? "not connected" : Completions.message(cause);
        if (why.contains("timed out") || cause instanceof java.net.SocketTimeoutException) {
            why = "timed out after " + connector.getConnectTimeoutMillis() + " ms";
        }
        ConnectException e = new ConnectException(common.describe() + ": cannot connect to " + describeTarget + " (host "
                + target.getAddress().getHostAddress() + ", port " + target.getPort() + "): " + why);
        if (cause != null) {
            e.initCause(cause);
        }
        return orGoingAway(e);
    }

    @Override
    public Optional<String> address() {
        return enableAddress ? Optional.of(describeTarget) : Optional.empty();
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
