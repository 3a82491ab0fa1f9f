package org.netdrivers.unix.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;
import org.netdrivers.support.DriverSettings;
import org.netdrivers.support.ManagedDriver;
import org.netdrivers.support.OpenStreams;
import org.netdrivers.support.nio.NioByteStream;
import org.netdrivers.support.nio.SelectorLoop;
import org.netdrivers.support.unix.UnixAddress;

/** The Unix driver's service object: one selector thread (junixsocket's selector) for all its streams. */
final class UnixConnector implements ManagedDriver {
    private final DriverSettings common;
    private final UnixAddress address;
    private final int bufferBytes;
    private final SelectorLoop loop;
    private final OpenStreams streams = new OpenStreams();

    UnixConnector(DriverSettings common, UnixAddress address, int bufferBytes) throws IOException {
        this.common = common;
        this.address = address;
        this.bufferBytes = bufferBytes;
        this.loop = new SelectorLoop("netdrivers-unix-" + common.name(), address.selectorProvider());
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        StreamClosedException gone = streams.shutdownReason();
        if (gone != null) {
            return CompletableFuture.failedFuture(gone);
        }
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        loop.execute(() -> {
            SocketChannel channel = null;
            try {
                channel = address.openChannel();
                channel.configureBlocking(false);
                if (channel.connect(address.socketAddress())) {
                    connected(channel, result);
                } else {
                    SocketChannel ch = channel;
                    loop.register(ch, SelectionKey.OP_CONNECT, key -> {
                        try {
                            if (ch.finishConnect()) {
                                key.interestOps(0);
                                connected(ch, result);
                            }
                        } catch (IOException e) {
                            key.cancel();
                            closeQuietly(ch);
                            result.completeExceptionally(failure(e));
                        }
                    });
                }
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                result.completeExceptionally(failure(e));
            }
        });
        return result;
    }

    private void connected(SocketChannel channel, CompletableFuture<ByteStream> result) {
        NioByteStream stream = streams.track(new NioByteStream(loop, channel, common.describe() + " to " + address, bufferBytes).start());
        StreamClosedException gone = streams.shutdownReason();
        if (gone != null) {
            result.completeExceptionally(gone); // the driver began to go away while connecting
        } else {
            result.complete(stream);
        }
    }

    private IOException failure(Exception cause) {
        StreamClosedException gone = streams.shutdownReason();
        if (gone != null) {
            return gone;
        }
        ConnectException e = new ConnectException(common.describe() + ": cannot connect to " + address + ": "
                + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()));
        e.initCause(cause);
        return e;
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }

    @Override
    public Optional<String> address() {
        return Optional.of(address.toString());
    }

    @Override
    public void refuseNewStreams(StreamClosedException reason) {
        streams.refuseNew(reason);
    }

    @Override
    public void dispose(StreamClosedException reason) {
        streams.closeAll(reason);
        loop.execute(loop::close);
    }
}
