package org.netdrivers.udp.internal;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.transport.socket.nio.NioDatagramConnector;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.DriverSettings;
import org.netdrivers.support.ManagedDriver;
import org.netdrivers.support.OpenStreams;
import org.netdrivers.support.mina.MinaByteStream;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;

/** The UDP driver's service object: one Mina datagram connector, one connected socket per stream. */
final class UdpConnector implements ManagedDriver {
    private final DriverSettings common;
    private final UdpSettings settings;
    private final NioDatagramConnector connector;
    private final OpenStreams streams = new OpenStreams();
    private final String describeTarget;

    UdpConnector(DriverSettings common, UdpSettings settings) {
        this.common = common;
        this.settings = settings;
        this.describeTarget = settings.address();
        this.connector = new NioDatagramConnector(1);
        MinaTransports.configureDatagram(connector.getSessionConfig(), settings.idleTimeoutSeconds());
        int max = MinaTransports.udpMax(settings.target());
        connector.setHandler(new StreamIoHandler(
                session -> MinaTransports.udpStream(session, common.describe() + " to " + describeTarget, settings.bufferBytes(), max, false),
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
            StreamClosedException reason = streams.shutdownReason();
            return CompletableFuture.failedFuture(reason != null ? reason : e);
        }
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (cf.isConnected()) {
                MinaByteStream stream = StreamIoHandler.stream(cf.getSession());
                result.complete(streams.track(stream));
            } else {
                StreamClosedException reason = streams.shutdownReason();
                Throwable cause = cf.getException();
                result.completeExceptionally(reason != null ? reason : new IOException(common.describe()
                        + ": cannot open a UDP socket to " + describeTarget + ": " + (cause == null ? "not connected" : cause.getMessage()), cause));
            }
        });
        return result;
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
