package org.netdrivers.io.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.apache.mina.filter.ssl.SslFilter;
import org.netdrivers.io.Handover;
import org.netdrivers.io.IoThreads;
import org.netdrivers.io.SessionStream;

/**
 * Two TCP sessions of one I/O thread spliced: a filter in each session's chain takes what it
 * reads and writes it to the other session. The filter is first in a plain session's chain, and
 * right after Mina's TLS filter in a TLS session's, where it reads and writes plaintext (the TLS
 * filter decrypts what it passes on and encrypts what is written). Everything happens on that
 * thread, so the state below needs no lock. Statistics and closing still reach the streams'
 * handlers (reads are counted by Mina before any filter; the streams close with their sessions).
 */
final class SessionRelay extends RelayBase {
    static final String FILTER = "netdrivers-relay";

    private final int window;
    private final End a;
    private final End b;
    private Throwable failure;
    private int closedSessions;

    SessionRelay(SessionStream a, SessionStream b, int window) {
        this.window = window;
        this.a = new End(a);
        this.b = new End(b);
        this.a.peer = this.b;
        this.b.peer = this.a;
    }

    /** On the owner thread: the filters go in first, then what the streams held goes out. */
    void start(Handover fromA, Handover fromB) {
        for (End end : new End[] {a, b}) {
            // reads grow to a relay's chunk (Mina doubles a read that filled its buffer, and halves one that
            // used under half): the buffers are the thread's pooled direct ones, not a new heap buffer each
            end.session.getConfig().setMaxReadBufferSize(IoThreads.RELAY_CHUNK);
        }
        a.insert();
        b.insert();
        a.takeOver(fromA);
        b.takeOver(fromB);
    }

    /** One chunk this relay wrote to a session, until Mina says it was written. */
    private record Written(IoBuffer chunk, int bytes) {}

    /** One session: what it reads goes to {@code peer}; what it writes comes from there. */
    private final class End extends IoFilterAdapter {
        final SessionStream stream;
        final IoSession session;
        End peer;
        boolean suspended; // reading stopped because peer holds a window
        boolean inputEnded;
        boolean shutPending; // half-close once everything queued is written
        boolean outputShut;
        /** What this relay wrote to the session and Mina has not yet written (behind a TLS filter too). */
        final ArrayDeque<Written> unsent = new ArrayDeque<>();
        long unsentBytes;

        End(SessionStream stream) {
            this.stream = stream;
            this.session = stream.session();
        }

        /** First in a plain session's chain; right after the TLS filter, where there is one. */
        void insert() {
            org.apache.mina.core.filterchain.IoFilterChain.Entry tls = session.getFilterChain().getEntry(SslFilter.class);
            if (tls == null) {
                session.getFilterChain().addFirst(FILTER, this);
            } else {
                session.getFilterChain().addAfter(tls.getName(), FILTER, this);
            }
        }

        void takeOver(Handover held) {
            for (ByteBuffer chunk : held.chunks()) {
                forward(IoBuffer.wrap(chunk));
            }
            if (held.inputEnded()) {
                endOfInput();
            } else if (!suspended) {
                session.resumeRead(); // the stream may have stopped reading
            }
        }

        private void forward(IoBuffer chunk) {
            if (!chunk.hasRemaining()) {
                return;
            }
            int bytes = chunk.remaining();
            peer.unsent.addLast(new Written(chunk, bytes));
            peer.unsentBytes += bytes;
            peer.session.write(chunk);
            long held = peer.unsentBytes;
            holding(held);
            if (held >= window && !suspended) {
                suspended = true;
                session.suspendRead();
            }
        }

        private void endOfInput() {
            inputEnded = true;
            session.suspendRead(); // nothing more to read; stop being told so
            peer.shutdownWhenWritten();
        }

        /** Nothing written to the session waits: neither the relay's chunks nor what the stream wrote before. */
        private boolean allWritten() {
            return unsent.isEmpty() && session.getScheduledWriteMessages() == 0;
        }

        private void shutdownWhenWritten() {
            if (allWritten()) {
                shutdownOutput();
            } else {
                shutPending = true;
            }
        }

        /** The stream's end of output (TCP: a half-close; TLS: its close_notify first). */
        private void shutdownOutput() {
            shutPending = false;
            if (outputShut || session.isClosing()) {
                return;
            }
            outputShut = true;
            try {
                stream.shutdownOutput().whenComplete((v, e) -> {
                    if (e != null) {
                        failed(e);
                    }
                });
            } catch (java.io.IOException | RuntimeException e) {
                failed(e);
                return;
            }
            if (a.inputEnded && b.inputEnded && a.outputShut && b.outputShut) {
                a.session.closeNow(); // both directions ended
                b.session.closeNow();
            }
        }

        private void failed(Throwable cause) {
            if (failure == null) {
                failure = cause;
            }
            session.closeNow();
            peer.session.closeNow();
        }

        @Override
        public void messageReceived(NextFilter next, IoSession s, Object message) {
            forward((IoBuffer) message);
        }

        @Override
        public void messageSent(NextFilter next, IoSession s, WriteRequest request) {
            next.messageSent(s, request); // Mina counts the message done at the chain's end
            Written first = unsent.peekFirst();
            if (first != null && request.getOriginalMessage() == first.chunk()) { // else the stream wrote it before the relay
                unsent.removeFirst();
                unsentBytes -= first.bytes();
                // written (behind a TLS filter: encrypted and written): the buffer the thread read it into goes back
                // to the thread's pool (Mina wrote from a duplicate of it, which Mina's own free() does not pool)
                first.chunk().free();
            }
            if (peer.suspended && unsentBytes <= window / 2) {
                peer.suspended = false;
                if (!peer.inputEnded) {
                    peer.session.resumeRead();
                }
            }
            if (shutPending && allWritten()) {
                shutdownOutput();
            }
        }

        @Override
        public void inputClosed(NextFilter next, IoSession s) {
            if (!inputEnded) {
                endOfInput();
            }
        }

        @Override
        public void exceptionCaught(NextFilter next, IoSession s, Throwable cause) {
            failed(cause);
            next.exceptionCaught(s, cause); // the stream records why it closed
        }

        @Override
        public void sessionClosed(NextFilter next, IoSession s) {
            peer.session.closeNow();
            next.sessionClosed(s);
            if (++closedSessions == 2) {
                ended(failure);
            }
        }
    }
}
