package org.netdrivers.support.stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.netdrivers.api.ByteStream;

/** The bridge between two in-memory streams written for this test (not a transport: a stand-in). */
public class BridgeTest {

    /** A stand-in stream: receives from a scripted list, records what is sent to it. */
    static class ScriptedStream implements ByteStream {
        final ArrayDeque<Optional<ByteBuffer>> script = new ArrayDeque<>();
        final List<Integer> sent = new ArrayList<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        boolean eofSent;

        ScriptedStream chunks(int... sizes) {
            for (int n : sizes) {
                script.add(Optional.of(ByteBuffer.allocate(n)));
            }
            script.add(Optional.empty());
            return this;
        }

        @Override
        public synchronized CompletionStage<Optional<ByteBuffer>> receive() {
            Optional<ByteBuffer> next = script.poll();
            return CompletableFuture.completedFuture(next == null ? Optional.empty() : next);
        }

        @Override
        public synchronized CompletionStage<Void> send(ByteBuffer chunk) {
            sent.add(chunk.remaining());
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized CompletionStage<Void> sendEof() {
            eofSent = true;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            closed.complete(null);
        }

        @Override
        public CompletionStage<Void> closed() {
            return closed;
        }
    }

    @Test
    public void copiesBothWaysCarriesEndOfStreamAndClosesBoth() throws Exception {
        ScriptedStream a = new ScriptedStream().chunks(1, 2, 3);
        ScriptedStream b = new ScriptedStream().chunks(10);
        Bridge bridge = new Bridge(a, b).start();
        assertNull(bridge.done().get(5, TimeUnit.SECONDS));
        assertEquals(List.of(1, 2, 3), b.sent);
        assertEquals(List.of(10), a.sent);
        assertTrue(a.eofSent && b.eofSent);
        assertTrue(a.closed.isDone() && b.closed.isDone());
        assertEquals(6, bridge.bytesAtoB());
        assertEquals(10, bridge.bytesBtoA());
    }

    @Test
    public void synchronousStreamsDoNotOverflowTheStack() throws Exception {
        int[] many = new int[200_000];
        java.util.Arrays.fill(many, 1);
        ScriptedStream a = new ScriptedStream().chunks(many);
        ScriptedStream b = new ScriptedStream().chunks();
        Bridge bridge = new Bridge(a, b).start();
        assertNull(bridge.done().get(10, TimeUnit.SECONDS));
        assertEquals(200_000, b.sent.size());
    }

    @Test
    public void aFailureClosesBothSides() throws Exception {
        ScriptedStream a = new ScriptedStream() {
            @Override
            public synchronized CompletionStage<Optional<ByteBuffer>> receive() {
                return CompletableFuture.failedFuture(new java.io.IOException("reset"));
            }
        };
        ScriptedStream b = new ScriptedStream().chunks(1);
        Bridge bridge = new Bridge(a, b).start();
        Throwable failure = bridge.done().get(5, TimeUnit.SECONDS);
        assertEquals("reset", failure.getMessage());
        assertTrue(a.closed.isDone() && b.closed.isDone());
    }
}
