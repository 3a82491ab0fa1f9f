package org.netdrivers.echo.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.Test;
import org.netdrivers.api.StreamClosedException;

public class EchoStreamTest {

    private static ByteBuffer bytes(int n) {
        return ByteBuffer.wrap(new byte[n]);
    }

    @Test
    public void chunksComeBackOneByOneInOrderWithTheirBoundaries() throws Exception {
        EchoStream s = new EchoStream("echo", 1024);
        s.send(ByteBuffer.wrap(new byte[] {1, 2})).toCompletableFuture().get();
        s.send(ByteBuffer.wrap(new byte[] {3})).toCompletableFuture().get();
        assertEquals(2, s.receive().toCompletableFuture().get().get().remaining());
        assertEquals(3, s.receive().toCompletableFuture().get().get().get());
    }

    @Test
    public void theSenderMayReuseItsBufferOnceTheSendCompleted() throws Exception {
        EchoStream s = new EchoStream("echo", 1024);
        ByteBuffer b = ByteBuffer.wrap(new byte[] {7});
        s.send(b).toCompletableFuture().get();
        b.array()[0] = 9;
        assertEquals(7, s.receive().toCompletableFuture().get().get().get());
    }

    @Test
    public void aSenderThatOutrunsTheReceiverWaitsInsteadOfGrowingMemory() throws Exception {
        EchoStream s = new EchoStream("echo", 100);
        assertTrue(s.send(bytes(60)).toCompletableFuture().isDone());
        CompletableFuture<Void> second = s.send(bytes(60)).toCompletableFuture();
        assertFalse("over the bound: the send waits", second.isDone());
        // a sender that waits for each send holds at most the bound plus one chunk
        assertEquals(120, s.inFlight());
        assertEquals(60, s.receive().toCompletableFuture().get().get().remaining());
        assertFalse("the receiver still holds 120 bytes: the chunk it has and the one queued", second.isDone());
        assertEquals(60, s.receive().toCompletableFuture().get().get().remaining());
        assertFalse("it holds the second chunk until its next receive", second.isDone());
        CompletableFuture<Optional<ByteBuffer>> third = s.receive().toCompletableFuture();
        second.get(5, java.util.concurrent.TimeUnit.SECONDS); // room again once the receiver drained below half the bound
        assertEquals(0, s.inFlight());
        s.send(bytes(5));
        assertEquals(5, third.get().get().remaining());
    }

    @Test
    public void sendEofEndsTheStreamAfterTheQueuedChunks() throws Exception {
        EchoStream s = new EchoStream("echo", 100);
        s.send(bytes(1));
        s.sendEof();
        assertTrue(s.receive().toCompletableFuture().get().isPresent());
        assertEquals(Optional.empty(), s.receive().toCompletableFuture().get());
        assertTrue(s.send(bytes(1)).toCompletableFuture().isCompletedExceptionally());
    }

    @Test
    public void closeFailsPendingStagesWithTheReason() {
        EchoStream s = new EchoStream("echo", 10);
        CompletableFuture<Optional<ByteBuffer>> pending = s.receive().toCompletableFuture();
        s.close(new StreamClosedException("echo driver 'x' went away: configuration deleted"));
        assertTrue(pending.isCompletedExceptionally());
        pending.handle((v, e) -> {
            assertTrue(e.getMessage().contains("configuration deleted"));
            return null;
        });
        s.close();
        assertTrue(s.closed().toCompletableFuture().isDone());
    }
}
