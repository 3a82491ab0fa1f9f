package org.netdrivers.io;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * What a stream held when {@link IoThreads#relay} took its transport over.
 *
 * @param chunks the chunks received and not yet handed out, in order
 * @param inputEnded whether the transport's input had ended before the hand-over
 */
public record Handover(List<ByteBuffer> chunks, boolean inputEnded) {
}
