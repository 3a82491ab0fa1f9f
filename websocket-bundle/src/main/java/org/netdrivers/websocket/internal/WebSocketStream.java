package org.netdrivers.websocket.internal;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

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
 */
final class WebSocketStream extends QueuedStream implements WebSocket.Listener {
    static final long CLOSE_WAIT_MS = 2000;
    private static final int CHUNK_HINT = 64 * 1024;

    private final int maxMessage;
    private final Executor executor;
    private volatile WebSocket socket;

    // the listener's own state: the JDK calls a listener one method at a time
    private ByteBuffer binaryParts;
    private StringBuilder textParts;

    // guarded by this
    private boolean paused;
    private boolean owed;
    private CompletableFuture<Void> sendTail = CompletableFuture.completedFuture(null);

    WebSocketStream(String label, long limit, int maxMessage, Executor executor) {
        super(label, Math.max(limit, 4L * CHUNK_HINT), CHUNK_HINT, false);
        this.maxMessage = maxMessage;
        this.executor = executor;
    }

    // ---- WebSocket.Listener

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
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
