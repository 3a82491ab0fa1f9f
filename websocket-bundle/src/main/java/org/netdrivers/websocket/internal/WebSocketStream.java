package org.netdrivers.websocket.internal;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.netdrivers.support.stream.Delays;
import org.netdrivers.support.stream.QueuedStream;

/**
 * A stream over one JDK {@link WebSocket}: one message is one chunk. Received messages are asked
 * for one at a time ({@code request(1)}) and only while the consumer keeps up: a slow consumer
 * stops the requests, the server's sends then wait on TCP flow control, and memory stays bounded
 * by {@code buffer_bytes} plus one message. Binary messages arrive as sent, text messages as their
 * UTF-8 bytes; every send is one binary message.
 *
 * <p>{@link #sendEof()} sends a Close frame (1000): the WebSocket protocol's way to end one
 * direction; messages the server still sends are received until its own Close, which ends the
 * stream. {@link #close()} sends a Close frame and gives the server {@link #CLOSE_WAIT_MS} to
 * answer before the connection is dropped.
 *
 * <p>A stream that has heard nothing from the server for {@code ping_interval_s} sends it a Ping;
 * when nothing at all (a Pong, a message) follows within {@code ping_timeout_s}, the server or the
 * network is gone without a word (a device switched off, a cable pulled): the stream fails and the
 * connection is dropped. While the consumer is behind, the server's answers wait behind the
 * messages not yet asked for, so the wait starts again once it catches up. The Pings run on
 * the shared timer ({@link Delays}): no thread per stream.
 */
final class WebSocketStream extends QueuedStream implements WebSocket.Listener {
    static final long CLOSE_WAIT_MS = 2000;
    private static final int CHUNK_HINT = 64 * 1024;

    private final int maxMessage;
    private final Executor executor;
    private final long pingIntervalNanos; // 0: no Pings
    private final long pingTimeoutNanos;
    private volatile WebSocket socket;
    /** When the server was last heard from: a message, a Pong, a Ping, the handshake. */
    private volatile long heardNanos;

    // the listener's own state: the JDK calls a listener one method at a time
    private ByteBuffer binaryParts;
    private StringBuilder textParts;

    // guarded by this
    private boolean paused;
    private boolean owed;
    private CompletableFuture<Void> sendTail = CompletableFuture.completedFuture(null);
    /** When the unanswered Ping was sent; 0 while none is. */
    private long pingSentNanos;
    private java.util.concurrent.ScheduledFuture<?> pingCheck;

    /**
     * @param pingIntervalS seconds of silence from the server before a Ping; 0 for none
     * @param pingTimeoutS seconds a Ping may go unanswered
     */
    WebSocketStream(String label, long limit, int maxMessage, Executor executor, int pingIntervalS, int pingTimeoutS) {
        super(label, Math.max(limit, 4L * CHUNK_HINT), CHUNK_HINT, false);
        this.maxMessage = maxMessage;
        this.executor = executor;
        this.pingIntervalNanos = TimeUnit.SECONDS.toNanos(pingIntervalS);
        this.pingTimeoutNanos = TimeUnit.SECONDS.toNanos(pingTimeoutS);
    }

    // ---- WebSocket.Listener

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        heardNanos = System.nanoTime();
        checkPingIn(pingIntervalNanos);
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        heardNanos = System.nanoTime();
        requestNext();
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        heardNanos = System.nanoTime(); // the JDK answers it with a Pong
        requestNext();
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        heardNanos = System.nanoTime();
        if (binaryParts == null && last) {
            if (tooBig(data.remaining())) {
                return null;
            }
            delivered(ByteBuffer.allocate(data.remaining()).put(data).flip()); // the JDK reuses data
        } else {
            int have = binaryParts == null ? 0 : binaryParts.position();
            if (tooBig((long) have + data.remaining())) {
                return null;
            }
            if (binaryParts == null || binaryParts.remaining() < data.remaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(have + data.remaining(), Math.min(maxMessage, 2 * have + CHUNK_HINT)));
                if (binaryParts != null) {
                    bigger.put(binaryParts.flip());
                }
                binaryParts = bigger;
            }
            binaryParts.put(data);
            if (last) {
                ByteBuffer message = binaryParts.flip();
                binaryParts = null;
                delivered(message);
            }
        }
        requestNext();
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        heardNanos = System.nanoTime();
        if (textParts == null) {
            textParts = new StringBuilder();
        }
        textParts.append(data);
        if (tooBig(textParts.length())) { // each char is at least one byte
            return null;
        }
        if (last) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(textParts));
            textParts = null;
            if (tooBig(bytes.remaining())) {
                return null;
            }
            delivered(bytes);
        }
        requestNext();
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        // end of stream once the messages before it are received; the JDK answers with its own
        // Close once this returns and then releases the connection. The stream itself stays open
        // until its owner closes it (a bridge closes it once both directions ended).
        endOfInput();
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        transportFailed(error);
        transportClosed(false);
    }

    private boolean tooBig(long size) {
        if (size <= maxMessage) {
            return false;
        }
        transportFailed(new java.io.IOException("a message of more than " + maxMessage
                + " bytes arrived (max_message_bytes); the connection is closed with status 1009"));
        WebSocket ws = socket;
        ws.sendClose(1009, "message too big").whenComplete((w, e) -> ws.abort());
        transportClosed(false);
        return true;
    }

    private void checkPingIn(long nanos) {
        if (pingIntervalNanos == 0) {
            return;
        }
        synchronized (this) {
            if (!isClosed()) {
                pingCheck = Delays.after(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), this::checkPing);
            }
        }
    }

    /**
     * On the timer: fails the stream when its Ping went unanswered for the timeout, sends one when
     * the server has been silent for the interval, and comes back when the next of these is due.
     */
    private void checkPing() {
        WebSocket ws = socket;
        if (ws.isInputClosed()) {
            return; // the server's Close came, or the connection failed: nothing more to hear
        }
        long now = System.nanoTime();
        long next;
        boolean ping = false;
        synchronized (this) {
            if (paused || owed) {
                pingSentNanos = 0; // the server's answers wait behind the messages not asked for yet
                next = pingIntervalNanos;
            } else {
                if (pingSentNanos != 0 && heardNanos - pingSentNanos > 0) {
                    pingSentNanos = 0; // answered
                }
                if (pingSentNanos != 0) {
                    next = now - pingSentNanos >= pingTimeoutNanos ? -1 : pingSentNanos + pingTimeoutNanos - now;
                } else if (now - heardNanos >= pingIntervalNanos) {
                    pingSentNanos = now;
                    ping = true;
                    next = pingTimeoutNanos;
                } else {
                    next = Math.max(heardNanos + pingIntervalNanos - now, TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
        }
        if (next < 0) {
            transportFailed(new java.io.IOException("no answer from the server within " + TimeUnit.NANOSECONDS.toSeconds(pingTimeoutNanos)
                    + " s of a WebSocket Ping (ping_timeout_s): the server or the network is gone"));
            ws.abort();
            transportClosed(false);
            return;
        }
        if (ping) {
            try {
                ws.sendPing(ByteBuffer.allocate(0));
            } catch (IllegalStateException previousNotSent) {
                // the last Ping is still being written (the network holds it back): its wait goes on
            }
        }
        checkPingIn(next);
    }

    /** Asks for the next message unless the consumer is behind; then {@link #resumeReading()} asks. */
    private void requestNext() {
        synchronized (this) {
            if (paused) {
                owed = true;
                return;
            }
        }
        socket.request(1);
    }

    // ---- QueuedStream

    @Override
    protected void suspendReading() {
        paused = true;
    }

    @Override
    protected void resumeReading() {
        paused = false;
        if (owed) {
            owed = false;
            // not under this stream's lock: the JDK may deliver the next message on the calling thread
            executor.execute(() -> socket.request(1));
        }
    }

    @Override
    protected void closeTransport() {
        synchronized (this) {
            if (pingCheck != null) {
                pingCheck.cancel(false);
            }
        }
        WebSocket ws = socket;
        if (ws == null) {
            return;
        }
        ws.request(Long.MAX_VALUE); // receive (and drop) whatever comes until the server's Close
        if (!ws.isOutputClosed()) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "");
        }
        org.netdrivers.support.stream.Delays.after(CLOSE_WAIT_MS, () -> {
            if (!ws.isInputClosed()) {
                ws.abort();
            }
        });
    }

    // ---- ByteStream

    @Override
    public CompletionStage<Void> send(ByteBuffer chunk) {
        int n = chunk.remaining();
        return inTurn(this::checkSend, () -> socket.sendBinary(chunk, true), () -> bytesOut.addAndGet(n));
    }

    @Override
    public CompletionStage<Void> sendEof() {
        return inTurn(this::checkSendEof, () -> socket.sendClose(WebSocket.NORMAL_CLOSURE, ""), () -> { });
    }

    /**
     * The JDK takes one send (or Close) at a time: {@code operation} runs once the one before it
     * was handed over, unless {@code refusal} refuses it now.
     */
    private CompletionStage<Void> inTurn(java.util.function.Supplier<CompletableFuture<Void>> refusal,
            java.util.function.Supplier<CompletableFuture<WebSocket>> operation, Runnable written) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        CompletableFuture<Void> previous;
        synchronized (this) {
            CompletableFuture<Void> refused = refusal.get();
            if (refused != null) {
                return refused;
            }
            previous = sendTail;
            sendTail = result;
        }
        previous.whenComplete((v, e) -> operation.get().whenComplete((w, error) -> {
            if (error != null) {
                result.completeExceptionally(writeFailure(error));
            } else {
                written.run();
                result.complete(null);
            }
        }));
        return result;
    }
}
