package org.netdrivers.tcp.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.DriverSettings;
import org.netdrivers.support.ManagedDriver;
import org.netdrivers.support.mina.MinaByteStream;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.OpenStreams;
import org.netdrivers.support.mina.StreamIoHandler;

/** The TCP driver's service object: one Mina connector, one session per stream. */
final class TcpConnector implements ManagedDriver {
    private final DriverSettings common;
    private final TcpSettings settings;
    private final NioSocketConnector connector;
    private final OpenStreams streams = new OpenStreams();
    private final String describeTarget;

    TcpConnector(DriverSettings common, TcpSettings settings) {
        this.common = common;
        this.settings = settings;
        this.describeTarget = settings.address();
        this.connector = new NioSocketConnector(2);
        connector.setConnectTimeoutMillis(settings.connectTimeoutMs());
        MinaTransports.configure(connector.getSessionConfig(), settings.tcpNoDelay(), settings.keepAlive());
        connector.setHandler(new StreamIoHandler(
                session -> MinaTransports.tcpStream(session, common.describe() + " to " + describeTarget, settings.bufferBytes()),
                stream -> { }));
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
            future = connector.connect(settings.target());
        } catch (RuntimeException e) {
            // the connector was disposed between the check above and here
            StreamClosedException reason = streams.shutdownReason();
            return CompletableFuture.failedFuture(reason != null ? reason : e);
        }
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (cf.isConnected()) {
                MinaByteStream stream = StreamIoHandler.stream(cf.getSession());
                result.complete(streams.track(stream));
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
            why = "timed out after " + settings.connectTimeoutMs() + " ms";
        }
        ConnectException e = new ConnectException(common.describe() + ": cannot connect to " + describeTarget
                + " (host " + settings.target().getAddress().getHostAddress() + ", port " + settings.target().getPort()
                + "): " + why);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    @Override
    public Optional<String> address() {
        return settings.enableAddress() ? Optional.of(describeTarget) : Optional.empty();
    }

    @Override
    public void dispose(StreamClosedException reason) {
        streams.closeAll(reason);
        connector.dispose(false);
    }
}
