package org.netdrivers.api;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A bidirectional stream of byte chunks to one network resource, opened by {@link
 * NetworkInterface#connect()}.
 *
 * <p><b>Chunks.</b> For byte transports (TCP, Unix sockets, vsock, D-Bus) a chunk is whatever the
 * transport delivered; chunk boundaries carry no meaning. For message transports (UDP,
 * WebSocket, echo) one chunk is exactly one message: boundaries are preserved both ways.
 *
 * <p><b>Flow control.</b> A stream holds a bounded number of bytes in flight in each direction. A
 * sender that outruns the peer sees its {@link #send(ByteBuffer)} stages complete later; a
 * receiver that does not call {@link #receive()} makes the stream stop reading from the transport.
 * Memory never grows without bound because one side is slow.
 *
 * <p><b>Threads.</b> Stages may complete on a transport thread. Callers must not block in
 * dependent actions; they should hand longer work to their own executor. Implementations do not
 * use a thread per stream.
 *
 * <p><b>Closing.</b> The one who opened the stream closes it. When the driver that opened it goes
 * away (bundle stopped or updated, configuration deleted) the stream is closed for its user: every
 * pending and later stage completes exceptionally with a {@link StreamClosedException} whose
 * message names the driver and the reason.
 */
@ProviderType
public interface ByteStream extends AutoCloseable {

    /**
     * Receives the next chunk.
     *
     * <p>The stage completes with a buffer holding the next chunk, which the caller owns from then
     * on (never empty on byte transports; a message transport may deliver an empty message); or with {@link Optional#empty()} once the peer has closed its sending side (end of
     * stream), and then again for every later call; or exceptionally with a {@link
     * StreamClosedException} once the stream is closed (by {@link #close()} or because its driver
     * went away), or with the transport's {@link java.io.IOException} on a transport error.
     *
     * <p>At most one receive may be outstanding: calling {@code receive()} again before the
     * previous stage completed fails the new stage with {@link IllegalStateException}.
     *
     * @return a stage completing with the next chunk, or empty at end of stream
     */
    CompletionStage<Optional<ByteBuffer>> receive();

    /**
     * Sends the remaining bytes of {@code chunk} as one chunk.
     *
     * <p>The stage completes normally when the transport has accepted the chunk and the bytes in
     * flight are below the stream's bound again; a sender that waits for each stage before the
     * next send therefore never makes memory grow. It completes exceptionally with a {@link
     * StreamClosedException} when the stream is or becomes closed, with {@link
     * IllegalStateException} after {@link #sendEof()}, and with the transport's {@link
     * java.io.IOException} (for a message transport: a message too large for it) on failure. A
     * failed send of a message transport leaves the stream usable.
     *
     * <p>The caller must not modify {@code chunk} until the stage completes. An empty chunk is
     * accepted and, for byte transports, sends nothing.
     *
     * @param chunk the bytes to send, from its position to its limit
     * @return a stage completing when the chunk has been accepted
     */
    CompletionStage<Void> send(ByteBuffer chunk);

    /**
     * Closes the sending side after every chunk sent before it (half-close).
     *
     * <p>On TCP, Unix sockets and vsock the peer then sees end of stream while this side can still
     * receive. On other transports this does nothing but make later sends fail; the stage
     * completes normally. Calling it twice is harmless.
     *
     * @return a stage completing once the half-close has been handed to the transport
     */
    CompletionStage<Void> sendEof();

    /**
     * Closes the stream and releases everything it holds (socket, file descriptor, buffers).
     * Idempotent; never throws. Pending stages complete exceptionally with a {@link
     * StreamClosedException}.
     */
    @Override
    void close();

    /**
     * A stage that completes (normally) once this stream is closed, by either side or because
     * its driver went away.
     *
     * @return the closing stage; the same instance on every call
     */
    CompletionStage<Void> closed();
}
