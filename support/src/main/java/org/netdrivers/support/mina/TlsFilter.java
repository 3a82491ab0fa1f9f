package org.netdrivers.support.mina;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

import javax.security.auth.x500.X500Principal;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.DefaultWriteFuture;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.DefaultWriteRequest;
import org.apache.mina.filter.ssl.DisableEncryptWriteRequest;
import org.apache.mina.filter.ssl.SslFilter;

/**
 * Mina's TLS filter, mutual TLS (TLS 1.3 and 1.2), with the TLS engine's tasks (checking the
 * peer's certificate) run where the engine asks for them. One filter serves both roles: Mina
 * makes the engine of an acceptor's session a server, which then requires a client certificate,
 * and that of a connector's session a client, which presents the context's key. Used by tls://
 * exports and by the fleet's port and streams. Mina 2.2 runs them on a pool of its
 * own and then does not go on decoding the bytes of the read that asked for them: a TLS 1.3
 * client that sent its last handshake message and its first bytes together (openssl s_client
 * does) waited for ever. With the tasks done inside wrap and unwrap, Mina never sees a task and
 * decodes the whole read.
 */
public final class TlsFilter extends SslFilter {
    private static final AttributeKey ENGINE = new AttributeKey(TlsFilter.class, "engine");
    private static final String[] TLS_1_3_AND_1_2 = {"TLSv1.3", "TLSv1.2"};

    /** Null: every session's engine is Mina's, from the constructor's context. */
    private final java.util.function.Supplier<SSLContext> contexts;
    private final String[] protocols;

    /** @param context the key (this side's certificate) and the trust (what the peer's must chain to) */
    public TlsFilter(SSLContext context) {
        this(context, TLS_1_3_AND_1_2);
    }

    /** @param protocols the protocols offered or accepted ({@link #shutdownOutput} needs TLSv1.3 alone) */
    public TlsFilter(SSLContext context, String... protocols) {
        this(context, null, protocols);
    }

    /**
     * A filter whose every new session takes the key and trust that {@code contexts} gives at that
     * moment (TLS 1.3 and 1.2, the peer's certificate required): a listener whose stores are
     * changed serves its next connection with the new ones, and its open ones as they began.
     */
    public TlsFilter(java.util.function.Supplier<SSLContext> contexts) {
        this(contexts.get(), contexts, TLS_1_3_AND_1_2);
    }

    /** The same, offering or accepting {@code protocols} only. */
    public TlsFilter(java.util.function.Supplier<SSLContext> contexts, String... protocols) {
        this(contexts.get(), contexts, protocols);
    }

    private TlsFilter(SSLContext context, java.util.function.Supplier<SSLContext> contexts, String... protocols) {
        super(context);
        this.contexts = contexts;
        this.protocols = protocols.clone();
        setNeedClientAuth(true);
        setEnabledProtocols(protocols);
    }

    /**
     * Ends what this side sends and goes on reading (a TLS 1.3 half-close): a close_notify, written
     * after everything written before it, then a TCP shutdown of the output. Mina's filter sends
     * close_notify only as part of closing the session; here the engine makes it, and it is written
     * past the filter as a {@link DisableEncryptWriteRequest} (Mina's public way round encryption).
     * Call once every earlier write is written. Mina goes on reading and decrypting what the peer
     * sends; a peer's own close_notify and FIN end the session's input ({@code inputClosed}) without
     * closing it. TLS 1.2 has no half-close: there the peer closes when it reads the close_notify.
     */
    public static CompletableFuture<Void> shutdownOutput(IoSession session) throws IOException {
        return closeNotify(session, MinaTransports.TCP_HALF_CLOSE);
    }

    /**
     * Ends the connection the TLS way, for TLS 1.2 as for 1.3: a close_notify after everything
     * written before it, then the connection closes (a peer that reads the end of stream without
     * it may take the stream for cut short).
     */
    public static CompletableFuture<Void> closeAfterNotify(IoSession session) throws IOException {
        return closeNotify(session, s -> {
            s.closeOnFlush();
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Writes the engine's close_notify past the filter; {@code then} once it is written; completes after both. */
    private static CompletableFuture<Void> closeNotify(IoSession session, MinaByteStream.HalfCloser then) throws IOException {
        SSLEngine engine = (SSLEngine) session.getAttribute(ENGINE);
        if (engine == null) {
            throw new IOException("no TLS engine on this session");
        }
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        synchronized (engine) {
            engine.closeOutbound();
            SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), out);
            if (r.getStatus() != SSLEngineResult.Status.CLOSED) {
                throw new IOException("the TLS engine made no close_notify: " + r);
            }
        }
        out.flip();
        CompletableFuture<Void> done = new CompletableFuture<>();
        WriteFuture written = new DefaultWriteFuture(session);
        written.addListener(f -> {
            WriteFuture w = (WriteFuture) f;
            if (!w.isWritten()) {
                done.completeExceptionally(w.getException() != null ? w.getException() : new IOException("close_notify not written"));
                return;
            }
            try {
                then.shutdownOutput(session).whenComplete((v, e) -> {
                    if (e == null) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(e);
                    }
                });
            } catch (IOException | RuntimeException e) {
                session.closeNow();
                done.completeExceptionally(e);
            }
        });
        session.getFilterChain().fireFilterWrite(new Unencrypted(IoBuffer.wrap(out), written));
        return done;
    }

    /**
     * The peer's FIN. After its close_notify (its TLS half-close or close) that is the end of its
     * bytes; without one the bytes may have been cut short (its process ended, or the connection
     * was cut), so the stream fails with that cause rather than ending as if complete.
     */
    @Override
    public void inputClosed(NextFilter next, IoSession session) throws Exception {
        SSLEngine engine = (SSLEngine) session.getAttribute(ENGINE);
        // before the handshake is done, an end is an end (a port probe, a client that gave up): said as such elsewhere
        if (engine != null && !engine.isInboundDone() && session.getAttribute(SSL_SECURED) != null) {
            next.exceptionCaught(session, new SSLException("the connection ended without the peer's TLS close_notify (its process"
                    + " ended, or the connection was cut): what it sent may be cut short"));
            session.closeNow();
            return;
        }
        next.inputClosed(session);
    }

    /** Bytes Mina's TLS filter passes on as they are (here: a close_notify the engine already made). */
    private static final class Unencrypted extends DefaultWriteRequest implements DisableEncryptWriteRequest {
        Unencrypted(IoBuffer bytes, WriteFuture future) {
            super(bytes, future);
        }
    }

    /** The subject of the peer's certificate once the handshake is done; null where there is none (yet). */
    public static X500Principal peerSubject(IoSession session) {
        try {
            SSLSession ssl = (SSLSession) session.getAttribute(SSL_SECURED);
            return ssl == null ? null
                    : ((java.security.cert.X509Certificate) ssl.getPeerCertificates()[0]).getSubjectX500Principal();
        } catch (javax.net.ssl.SSLPeerUnverifiedException | RuntimeException e) {
            return null;
        }
    }

    @Override
    protected SSLEngine createEngine(IoSession session, InetSocketAddress addr) {
        SSLEngine engine = new InlineTasks(contexts == null ? super.createEngine(session, addr) : currentEngine(session, addr));
        session.setAttribute(ENGINE, engine);
        return engine;
    }

    /** An engine of the context {@link #contexts} gives now, set up as this filter sets up Mina's. */
    private SSLEngine currentEngine(IoSession session, InetSocketAddress addr) {
        SSLContext now = contexts.get();
        SSLEngine engine = addr == null ? now.createSSLEngine() : now.createSSLEngine(addr.getHostString(), addr.getPort());
        engine.setNeedClientAuth(true);
        engine.setEnabledProtocols(protocols);
        engine.setUseClientMode(!session.isServer());
        return engine;
    }

    /** An engine that runs its delegated tasks itself, at once, so that none is ever handed out. */
    private static final class InlineTasks extends SSLEngine {
        private final SSLEngine engine;

        InlineTasks(SSLEngine engine) {
            super(engine.getPeerHost(), engine.getPeerPort());
            this.engine = engine;
        }

        private SSLEngineResult tasksDone(SSLEngineResult r) {
            if (r.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_TASK) {
                return r;
            }
            for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                task.run();
            }
            return new SSLEngineResult(r.getStatus(), engine.getHandshakeStatus(), r.bytesConsumed(), r.bytesProduced());
        }

        /**
         * As many records as {@code srcs} fills and {@code dst} holds: after the handshake, one call
         * encrypts a whole chunk (Mina allocates {@code dst} for all of it, and the JDK's engine
         * makes one record a call).
         */
        @Override
        public synchronized SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
            return batched(() -> engine.wrap(srcs, offset, length, dst),
                    () -> remaining(srcs, offset, length) > 0 && dst.remaining() >= engine.getSession().getPacketBufferSize());
        }

        /**
         * As many whole records as {@code src} holds and {@code dsts} can take: after the handshake,
         * one call decrypts a whole read (Mina allocates {@code dsts} for all of it).
         */
        @Override
        public synchronized SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
            return batched(() -> engine.unwrap(src, dsts, offset, length),
                    () -> src.hasRemaining() && remaining(dsts, offset, length) >= engine.getSession().getApplicationBufferSize());
        }

        /** One call of the engine (a wrap or an unwrap of the same buffers). */
        private interface Call {
            SSLEngineResult next() throws SSLException;
        }

        /**
         * {@code call} once, and again while it made a record of application data and {@code room}
         * says another may fit: one result with the bytes of all, and the status of the last that
         * did something (a record not yet whole, or no room, ends it; so does a close_notify or a
         * post-handshake message, whose status the caller then acts on).
         */
        private SSLEngineResult batched(Call call, java.util.function.BooleanSupplier room) throws SSLException {
            SSLEngineResult r = tasksDone(call.next());
            if (!dataRecord(r)) {
                return r;
            }
            int consumed = r.bytesConsumed();
            int produced = r.bytesProduced();
            while (room.getAsBoolean()) {
                SSLEngineResult next = tasksDone(call.next());
                if (next.bytesConsumed() == 0 && next.bytesProduced() == 0) {
                    break;
                }
                consumed += next.bytesConsumed();
                produced += next.bytesProduced();
                r = next;
                if (!dataRecord(next)) {
                    break;
                }
            }
            return new SSLEngineResult(r.getStatus(), r.getHandshakeStatus(), consumed, produced);
        }

        /** A record of application data, after the handshake: another may follow in the same call. */
        private static boolean dataRecord(SSLEngineResult r) {
            return r.getStatus() == SSLEngineResult.Status.OK && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                    && r.bytesConsumed() > 0;
        }

        private static long remaining(ByteBuffer[] buffers, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += buffers[i].remaining();
            }
            return n;
        }

        @Override
        public Runnable getDelegatedTask() {
            return engine.getDelegatedTask();
        }

        @Override
        public void closeInbound() throws SSLException {
            engine.closeInbound();
        }

        @Override
        public boolean isInboundDone() {
            return engine.isInboundDone();
        }

        @Override
        public void closeOutbound() {
            engine.closeOutbound();
        }

        @Override
        public boolean isOutboundDone() {
            return engine.isOutboundDone();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return engine.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return engine.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            engine.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return engine.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return engine.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            engine.setEnabledProtocols(protocols);
        }

        @Override
        public SSLSession getSession() {
            return engine.getSession();
        }

        @Override
        public SSLSession getHandshakeSession() {
            return engine.getHandshakeSession();
        }

        @Override
        public void beginHandshake() throws SSLException {
            engine.beginHandshake();
        }

        @Override
        public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
            return engine.getHandshakeStatus();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            engine.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return engine.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            engine.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return engine.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            engine.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return engine.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            engine.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return engine.getEnableSessionCreation();
        }

        @Override
        public SSLParameters getSSLParameters() {
            return engine.getSSLParameters();
        }

        @Override
        public void setSSLParameters(SSLParameters params) {
            engine.setSSLParameters(params);
        }

        @Override
        public String getApplicationProtocol() {
            return engine.getApplicationProtocol();
        }

        @Override
        public String getHandshakeApplicationProtocol() {
            return engine.getHandshakeApplicationProtocol();
        }
    }
}
