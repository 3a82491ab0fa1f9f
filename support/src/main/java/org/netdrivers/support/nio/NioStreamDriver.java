package org.netdrivers.support.nio;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import org.netdrivers.api.ByteStream;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.TrackingDriver;

/**
 * A driver whose streams are non-blocking socket channels on {@link SelectorLoop}s (Unix sockets,
 * D-Bus): {@link #connect()} tries its targets in order until one connects, and names every
 * target with its failure when none does. No thread per stream: one loop thread per selector
 * implementation the driver uses.
 */
public abstract class NioStreamDriver extends TrackingDriver {
    /**
     * Where a stream may connect: its label (for messages and the address), on which loop (chosen
     * at each connect: the runtime's loops give the caller's own where it is one of them), how and
     * where.
     */
    public record Target(String label, Supplier<SelectorLoop> loop, NioConnect.ChannelOpener opener, SocketAddress address,
            long timeoutMs) {
    }

    protected final DriverSettings common;
    private final int bufferBytes;
    private final List<SelectorLoop> loops;

    /** @param loops the loops the targets use; closed when the driver goes away */
    protected NioStreamDriver(DriverSettings common, int bufferBytes, List<SelectorLoop> loops) {
        this.common = common;
        this.bufferBytes = bufferBytes;
        this.loops = List.copyOf(loops);
    }

    /** The targets to try, in order; resolved at each connect (an address may be recomputed). */
    protected abstract List<Target> targets() throws IOException;

    /** A stream reached {@code target} (after the earlier ones failed). */
    protected void reached(Target target) {
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        CompletableFuture<ByteStream> refused = refusedIfGoing();
        if (refused != null) {
            return refused;
        }
        CompletableFuture<ByteStream> result = new CompletableFuture<>();
        List<Target> targets;
        try {
            targets = targets();
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(failure(List.of(NioConnect.describe(e)), e));
        }
        attempt(targets, 0, new ArrayList<>(), result);
        return result;
    }

    private void attempt(List<Target> targets, int index, List<String> failures, CompletableFuture<ByteStream> result) {
        Target t = targets.get(index);
        SelectorLoop loop = t.loop().get();
        NioConnect.connect(loop, t.opener(), t.address(), t.timeoutMs()).whenComplete((channel, error) -> {
            if (error == null) {
                connected(t, loop, channel, result);
                return;
            }
            failures.add(targets.size() == 1 ? t.label() + ": " + NioConnect.describe(error)
                    : t.label() + " (" + NioConnect.describe(error) + ")");
            if (index + 1 < targets.size() && streams.shutdownReason() == null) {
                attempt(targets, index + 1, failures, result);
            } else {
                result.completeExceptionally(failure(failures, error));
            }
        });
    }

    private void connected(Target target, SelectorLoop loop, SocketChannel channel, CompletableFuture<ByteStream> result) {
        handOut(new NioByteStream(loop, channel, common.describe() + " to " + target.label(), bufferBytes).start(), result);
        if (!result.isCompletedExceptionally()) {
            reached(target);
        }
    }

    private Exception failure(List<String> failures, Throwable cause) {
        String text = failures.size() == 1 ? "cannot connect to " + failures.get(0)
                : "cannot connect to any of its " + failures.size() + " addresses: " + String.join("; ", failures);
        ConnectException e = new ConnectException(common.describe() + ": " + text);
        e.initCause(cause);
        return orGoingAway(e);
    }

    @Override
    protected void releaseTransport() {
        for (SelectorLoop loop : loops) {
            loop.execute(loop::close);
        }
    }
}
