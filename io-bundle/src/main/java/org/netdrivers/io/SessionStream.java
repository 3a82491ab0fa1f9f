package org.netdrivers.io;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSession;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link TransportStream} whose transport is one Mina session of {@link IoThreads#processor()}
 * (TCP, also behind Mina's TLS filter).
 */
@ConsumerType
public interface SessionStream extends TransportStream {
    /** @return the stream's session */
    IoSession session();

    /**
     * Ends what the session sends; a relay calls it on the session's I/O thread once everything
     * it wrote there is written, after the other side's input ended. By default a TCP half-close
     * of the session's socket; a stream whose session needs another end says so (TLS: a
     * close_notify first, and where TLS cannot half-close, the connection's close after it).
     *
     * @return completes once the end is sent
     */
    default CompletionStage<Void> shutdownOutput() throws IOException {
        ((SocketChannel) ((NioSession) session()).getChannel()).shutdownOutput();
        return CompletableFuture.completedFuture(null);
    }
}
