package org.netdrivers.fleet.internal;

import java.nio.charset.StandardCharsets;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;

/**
 * Takes the first line a session receives (after TLS), up to a bound, out of its bytes; then
 * removes itself, so that the bytes after the line's newline, and every later one, reach the
 * session's stream untouched and in order. One instance serves every session of a service.
 */
final class FirstLineFilter extends IoFilterAdapter {
    /** What the session's first line was. */
    interface Lines {
        /** @param line the line without its newline, decoded as ISO-8859-1 (bytes kept as they came) */
        void line(IoSession session, String line);

        /** More than the bound arrived without a newline. */
        void tooLong(IoSession session, int bytes);
    }

    private static final String PENDING = FirstLineFilter.class.getName() + ".pending";

    private final int maxBytes;
    private final Lines lines;

    FirstLineFilter(int maxBytes, Lines lines) {
        this.maxBytes = maxBytes;
        this.lines = lines;
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) {
        IoBuffer in = (IoBuffer) message;
        IoBuffer pending = (IoBuffer) session.getAttribute(PENDING);
        if (pending == null) {
            pending = IoBuffer.allocate(64).setAutoExpand(true);
            session.setAttribute(PENDING, pending);
        }
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b == '\n') {
                pending.flip();
                byte[] bytes = new byte[pending.remaining()];
                pending.get(bytes); // not array(): on an I/O thread the buffer is a direct one
                String line = new String(bytes, StandardCharsets.ISO_8859_1);
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                session.removeAttribute(PENDING);
                session.getFilterChain().remove(this);
                lines.line(session, line);
                if (in.hasRemaining() && !session.isClosing()) {
                    next.messageReceived(session, in.slice());
                }
                return;
            }
            pending.put(b);
            if (pending.position() >= maxBytes) {
                session.removeAttribute(PENDING);
                lines.tooLong(session, pending.position());
                return;
            }
        }
    }
}
