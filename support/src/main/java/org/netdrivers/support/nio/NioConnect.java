package org.netdrivers.support.nio;

import org.netdrivers.support.stream.Completions;
import org.netdrivers.support.stream.Delays;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import org.netdrivers.io.SelectorLoop;

/**
 * A non-blocking connect on a {@link SelectorLoop}: the channel is opened, connected and, on
 * failure or timeout, closed on the loop's thread; no thread waits for the peer.
 */
public final class NioConnect {
    /**
     * Bound of a Unix-socket connect: it completes at once or fails, except when the server's
     * backlog is full; then it must not wait for ever.
     */
    public static final long UNIX_TIMEOUT_MS = 10_000;

    private NioConnect() {}

    /** Opens a new unconnected channel (a JDK channel, or junixsocket's). */
    @FunctionalInterface
    public interface ChannelOpener {
        SocketChannel open() throws IOException;
    }

    /**
     * @param timeoutMs how long the connect may take; 0 for no bound (Unix sockets connect at once or fail)
     * @return a stage completed with the connected, non-blocking channel (the caller owns it), or
     *         exceptionally with the connect's own exception ({@link SocketTimeoutException} on timeout)
     */
    public static CompletableFuture<SocketChannel> connect(SelectorLoop loop, ChannelOpener opener, SocketAddress target,
            long timeoutMs) {
        CompletableFuture<SocketChannel> result = new CompletableFuture<>();
        loop.execute(() -> {
            SocketChannel channel = null;
            try {
                channel = opener.open();
                channel.configureBlocking(false);
                if (channel.connect(target)) {
                    result.complete(channel);
                    return;
                }
                SocketChannel ch = channel;
                SelectionKey key = loop.register(ch, SelectionKey.OP_CONNECT, new SelectorLoop.Handler() {
                    @Override
                    public void ready(SelectionKey k) {
                        try {
                            if (ch.finishConnect()) {
                                k.interestOps(0);
                                if (!result.complete(ch)) {
                                    closeQuietly(ch); // timed out meanwhile
                                }
                            }
                        } catch (IOException e) {
                            k.cancel();
                            closeQuietly(ch);
                            result.completeExceptionally(e);
                        }
                    }

                    @Override
                    public void loopClosed() {
                        result.completeExceptionally(new java.nio.channels.ClosedChannelException());
                    }

                    /** junixsocket's selector saw the connect fail (an error or hang-up): its cause now, not at the timeout. */
                    @Override
                    public void dropped(SelectionKey k) {
                        if (result.isDone()) {
                            return;
                        }
                        try {
                            ch.finishConnect();
                            closeQuietly(ch);
                            result.completeExceptionally(new java.net.ConnectException("the peer hung up as the connection was made"));
                        } catch (IOException e) {
                            closeQuietly(ch);
                            result.completeExceptionally(e);
                        }
                    }
                });
                if (timeoutMs > 0) {
                    java.util.concurrent.ScheduledFuture<?> timeout = Delays.after(timeoutMs, () -> loop.execute(() -> {
                        if (result.completeExceptionally(new SocketTimeoutException("connect timed out after " + timeoutMs + " ms"))) {
                            key.cancel();
                            closeQuietly(ch);
                        }
                    }));
                    result.whenComplete((c, e) -> timeout.cancel(false)); // connected or failed: the timeout goes, and lets go of the channel
                }
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** The text of a connect failure: its message, or its type where it has none. */
    public static String describe(Throwable cause) {
        Throwable c = Completions.unwrap(cause);
        if (c instanceof TimeoutException) {
            return "timed out";
        }
        return Completions.message(c);
    }

    public static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }
}
