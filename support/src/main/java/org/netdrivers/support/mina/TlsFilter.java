package org.netdrivers.support.mina;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

import javax.security.auth.x500.X500Principal;

import org.apache.mina.core.session.IoSession;
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
    /** @param context the key (this side's certificate) and the trust (what the peer's must chain to) */
    public TlsFilter(SSLContext context) {
        super(context);
        setNeedClientAuth(true);
        setEnabledProtocols("TLSv1.3", "TLSv1.2");
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
        return new InlineTasks(super.createEngine(session, addr));
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

        @Override
        public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
            return tasksDone(engine.wrap(srcs, offset, length, dst));
        }

        @Override
        public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
            return tasksDone(engine.unwrap(src, dsts, offset, length));
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
