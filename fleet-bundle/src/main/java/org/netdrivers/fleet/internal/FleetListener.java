package org.netdrivers.fleet.internal;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Hashtable;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.security.auth.x500.X500Principal;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.netdrivers.io.IoThreads;
import org.netdrivers.support.mina.MinaByteStream;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.StreamIoHandler;
import org.netdrivers.support.mina.TlsFilter;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.TlsStores;
import org.netdrivers.support.stream.Bridge;
import org.netdrivers.support.stream.Completions;
import org.osgi.framework.Filter;

/**
 * The fleet port: mutual TLS (clients' certificates chain to the trust store, and are in
 * {@code allow} when that is set), then the handshake line ({@link FleetProtocol}); a shared local
 * endpoint is opened through the registry and bridged to the client. Everything else is refused,
 * counted and said ({@link Refusals}).
 */
final class FleetListener implements AutoCloseable {
    private static final String ALLOWED = FleetListener.class.getName() + ".allowed";
    private static final String REFUSED = FleetListener.class.getName() + ".refused";
    private static final String TIMER = FleetListener.class.getName() + ".timer";
    private static final String EARLY_LINE = FleetListener.class.getName() + ".line";
    private static final long STREAM_BUFFER = 1024 * 1024;

    private final ListenAddress listen;
    private final Set<String> allow;
    private final Filter share;
    private final StreamRegistry registry;
    private final ScheduledExecutorService timer;
    private final Refusals refusals;
    private final AtomicLong served = new AtomicLong();
    private final NioSocketAcceptor acceptor;

    FleetListener(ListenAddress listen, IoThreads io, java.util.function.Supplier<SSLContext> ssl, Set<String> allow, Filter share,
            StreamRegistry registry, ScheduledExecutorService timer) {
        this.listen = listen;
        this.allow = allow;
        this.share = share;
        this.registry = registry;
        this.timer = timer;
        this.refusals = new Refusals(listen.toString());
        acceptor = new NioSocketAcceptor(io.processor());
        acceptor.setReuseAddress(true);
        FleetProtocol.chain(acceptor.getSessionConfig(), acceptor.getFilterChain(), ssl, new FirstLineFilter.Lines() {
            @Override
            public void line(IoSession session, String line) {
                opened(session, line);
            }

            @Override
            public void tooLong(IoSession session, int bytes) {
                refuse(session, "garbage", "no newline in the first " + bytes + " bytes (not the fleet handshake)");
            }
        });
        acceptor.setHandler(new StreamIoHandler(this::stream, this::secured,
                (session, cause) -> {
                    String why = cause == null ? "closed before the TLS handshake was done"
                            : "TLS handshake failed: " + Completions.rootMessage(cause);
                    refuse(session, tlsKind(why), why);
                }));
        acceptor.setCloseOnDeactivation(true);
    }

    void bind() throws IOException {
        acceptor.bind(listen.socketAddress());
    }

    long refused() {
        return refusals.total();
    }

    long served() {
        return served.get();
    }

    /** A new connection: its stream, and the bound on how long TLS and the handshake line may take. */
    private MinaByteStream stream(IoSession session) {
        MinaTransports.keepAlive(session, FleetProtocol.KEEP_ALIVE);
        ScheduledFuture<?> late = timer.schedule(() -> {
            if (!session.isClosing()) {
                refuse(session, "timeout", "no fleet handshake within " + FleetProtocol.HANDSHAKE_MS + " ms");
            }
        }, FleetProtocol.HANDSHAKE_MS, TimeUnit.MILLISECONDS);
        session.setAttribute(TIMER, late);
        return MinaTransports.tlsHalfClosingStream(session, "fleet port " + listen + " client " + session.getRemoteAddress(), STREAM_BUFFER);
    }

    /** TLS is done: the client's certificate chains to the trust store; is its subject allowed? */
    private void secured(MinaByteStream stream) {
        IoSession session = stream.session();
        X500Principal subject = TlsFilter.peerSubject(session);
        if (!TlsStores.allows(allow, subject)) {
            String who = subject == null ? "(none)" : subject.getName();
            answerAndRefuse(session, FleetProtocol.FORBIDDEN, "certificate subject " + who + " is not in allow");
            return;
        }
        session.setAttribute(ALLOWED, subject == null ? "" : subject.getName());
        String early = (String) session.removeAttribute(EARLY_LINE);
        if (early != null) {
            opened(session, early);
        }
    }

    /** The client's first line, after TLS. */
    private void opened(IoSession session, String line) {
        if (session.isClosing() || session.containsAttribute(REFUSED)) {
            return;
        }
        if (!session.containsAttribute(ALLOWED)) {
            // a TLS 1.3 client's Finished and its first line can come in one read, and Mina then hands on
            // the line before it tells that the handshake is done: the line waits for that (same thread)
            session.setAttribute(EARLY_LINE, line);
            return;
        }
        cancelTimer(session);
        String name = FleetProtocol.openName(line);
        if (name == null) {
            refuse(session, "garbage", "the first line is not '" + FleetProtocol.OPEN + "NAME': '" + printable(line) + "'");
            return;
        }
        Optional<StreamRegistry.Endpoint> known = registry.endpoint(name);
        if (known.isPresent() && !shared(known.get().properties())) {
            answerAndRefuse(session, FleetProtocol.UNSHARED, "endpoint " + name + " is not shared by this runtime");
            return;
        }
        MinaByteStream client = StreamIoHandler.stream(session);
        registry.openMatching("(&(" + NetworkConstants.NETWORK_NAME + "=" + ldapValue(name) + ")(!(" + RemoteEndpoints.NETWORK_RUNTIME
                + "=*))" + share + ")").whenComplete((endpoint, failure) -> {
                    if (failure != null) {
                        Throwable cause = Completions.unwrap(failure);
                        if (cause instanceof NoSuchElementException) {
                            answerAndRefuse(session, FleetProtocol.UNKNOWN, "no shared endpoint " + name + " here");
                        } else {
                            // the endpoint is shared but did not open (its device is down): an answer, not a refusal
                            answer(session, "unavailable", name + ": " + Completions.message(cause));
                        }
                        return;
                    }
                    if (session.isClosing()) {
                        endpoint.close();
                        return;
                    }
                    served.incrementAndGet();
                    client.send(ByteBuffer.wrap(FleetProtocol.ok()));
                    new Bridge(client, endpoint).start();
                });
    }

    private boolean shared(Map<String, Object> properties) {
        Hashtable<String, Object> p = new Hashtable<>(properties);
        return !p.containsKey(RemoteEndpoints.NETWORK_RUNTIME) && share.match(p); // Dictionary: keys case-insensitive
    }

    private void answerAndRefuse(IoSession session, String code, String reason) {
        if (count(session, code, reason)) {
            answer(session, code, reason);
        }
    }

    private static void answer(IoSession session, String code, String reason) {
        session.write(IoBuffer.wrap(FleetProtocol.err(code, reason)));
        session.closeOnFlush();
    }

    /** Refused without an answer (not TLS, not the handshake, too late). */
    private void refuse(IoSession session, String kind, String why) {
        if (count(session, kind, why)) {
            session.closeNow();
        }
    }

    /** Counts and says a session's refusal, once. @return whether this was its first */
    private boolean count(IoSession session, String kind, String why) {
        cancelTimer(session);
        if (session.setAttributeIfAbsent(REFUSED, Boolean.TRUE) != null) {
            return false;
        }
        SocketAddress client = session.getRemoteAddress();
        Object subject = session.getAttribute(ALLOWED);
        refusals.refused(client, kind, subject == null || "".equals(subject) ? why : why + " (certificate " + subject + ")");
        return true;
    }

    /**
     * The kind of a failed TLS handshake, from the JDK's words, so that a client that fails in a
     * new way gets its own line ({@link Refusals}); the words only group lines.
     */
    static String tlsKind(String why) {
        if (why.contains("Empty client certificate chain") || why.contains("certificate_required")) {
            return "tls-no-certificate";
        }
        if (why.contains("PKIX") || why.contains("certification path") || why.contains("unknown_ca")) {
            return "tls-untrusted";
        }
        if (why.contains("Unsupported or unrecognized SSL message") || why.contains("plaintext")) {
            return "not-tls";
        }
        return "tls";
    }

    private static void cancelTimer(IoSession session) {
        ScheduledFuture<?> late = (ScheduledFuture<?>) session.getAttribute(TIMER);
        if (late != null) {
            late.cancel(false);
        }
    }

    private static String printable(String line) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < line.length() && b.length() < 60; i++) {
            char c = line.charAt(i);
            b.append(c >= ' ' && c <= '~' ? String.valueOf(c) : String.format("\\x%02x", (int) c & 0xff));
        }
        return b.toString();
    }

    private static String ldapValue(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    @Override
    public void close() {
        acceptor.unbind();
        acceptor.dispose(false);
    }
}
