package org.netdrivers.io.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;

import org.junit.Test;

/** The channel relay's buffers: direct ones reused, and a bound on how many exist at once. */
public class RelayBuffersTest {
    @Test
    public void aGivenBackBufferIsLentAgainCleared() {
        ChannelRelay.Buffers buffers = new ChannelRelay.Buffers(1024, 2, 4);
        ByteBuffer b = buffers.take();
        assertTrue(b.isDirect());
        b.put((byte) 1).flip();
        buffers.give(b);
        ByteBuffer again = buffers.take();
        assertSame(b, again);
        assertEquals("cleared", 1024, again.remaining());
    }

    @Test
    public void pastTheBoundOfDirectBuffersHeapBuffersAreLent() {
        ChannelRelay.Buffers buffers = new ChannelRelay.Buffers(1024, 1, 3);
        ByteBuffer[] held = {buffers.take(), buffers.take(), buffers.take()};
        for (ByteBuffer b : held) {
            assertTrue(b.isDirect());
        }
        ByteBuffer fourth = buffers.take();
        assertFalse("the fourth while three are held: heap", fourth.isDirect());
        buffers.give(fourth);
        buffers.give(held[0]); // kept
        buffers.give(held[1]); // past what is kept: dropped, and no longer counted
        assertSame(held[0], buffers.take());
        assertTrue("one more direct buffer may exist again", buffers.take().isDirect());
        assertFalse("and then the bound holds again", buffers.take().isDirect());
    }
}
