package org.netdrivers.support.mina;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoConnector;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.DriverSettings;
import org.netdrivers.support.ManagedDriver;
import org.netdrivers.support.OpenStreams;

/**
 * A driver whose every stream is a new session of one Mina connector (TCP, UDP): connects,
 * tracks the streams, closes them all and disposes of the connector when the driver goes away.
 * The connector comes configured, with a {@link StreamIoHandler}.
 */
public final class MinaConnectorDriver implements ManagedDriver {
    private final DriverSettings common;
    private final IoConnector connector;
    private final InetSocketAddress target;
    private final String describeTarget;
    private final boolean enableAddress;
    private final OpenStreams streams = new OpenStreams();

    public MinaConnectorDriver(DriverSettings common, IoConnector connector, InetSocketAddress target, String describeTarget,
            boolean enableAddress) {
        this.common = common;
        this.connector = connector;
        this.target = target;
        this.describeTarget = describeTarget;
        this.enableAddress = enableAddress;
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        StreamClosedException gone = streams.shutdownReason();
        if (gone != null) {
            return CompletableFuture.failedFuture(gone);
        }
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        ConnectFuture future;
        try {
            future = connector.connect(target);
        } catch (RuntimeException e) {
            // the connector was disposed between the check above and here
            StreamClosedException reason = streams.shutdownReason();
            return CompletableFuture.failedFuture(reason != null ? reason : e);
        }
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (cf.isConnected()) {
                MinaByteStream stream = streams.track(StreamIoHandler.stream(cf.getSession()));
                StreamClosedException stopping = streams.shutdownReason();
                if (stopping != null) {
                    result.completeExceptionally(stopping); // the driver began to go away while connecting
                } else {
                    result.complete(stream);
                }
            } else {
                result.completeExceptionally(connectFailure(cf.getException()));
            }
        });
        return result;
    }

    private IOException connectFailure(Throwable cause) {
        StreamClosedException gone = streams.shutdownReason();
        if (gone != null) {
            return gone;
        }
        String why = cause == null ? "not connected"
                : cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        if (why.contains("timed out") || cause instanceof java.net.SocketTimeoutException) {
            why = "timed out after " + connector.getConnectTimeoutMillis() + " ms";
        }
        ConnectException e = new ConnectException(common.describe() + ": cannot connect to " + describeTarget + " (host "
                + target.getAddress().getHostAddress() + ", port " + target.getPort() + "): " + why);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    @Override
    public Optional<String> address() {
        return enableAddress ? Optional.of(describeTarget) : Optional.empty();
    }

    @Override
    public void refuseNewStreams(StreamClosedException reason) {
        streams.refuseNew(reason);
    }

    @Override
    public void dispose(StreamClosedException reason) {
        streams.closeAll(reason);
        connector.dispose(false);
    }
}
