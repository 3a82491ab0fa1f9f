package org.netdrivers.fleet.internal;

import java.nio.charset.StandardCharsets;

import javax.net.ssl.SSLContext;

import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.transport.socket.SocketSessionConfig;
import org.netdrivers.support.mina.MinaTransports;
import org.netdrivers.support.mina.TlsFilter;
import org.netdrivers.support.net.KeepAlive;

/**
 * The fleet port's handshake, inside mutual TLS: the client sends one ASCII line
 * {@code NDFLEET/1 OPEN NAME\n} (at most {@link #MAX_LINE} bytes, within {@link #HANDSHAKE_MS} of
 * connecting, TLS included); the server answers {@code OK\n}, after which every byte either way
 * belongs to the endpoint's stream, or {@code ERR CODE REASON\n} and closes. Either side ends its
 * sending with a close_notify and goes on reading (TLS 1.3 half-close).
 */
final class FleetProtocol {
    private FleetProtocol() {}

    static final String OPEN = "NDFLEET/1 OPEN ";
    /** TLS 1.3 alone: it lets each side end its sending and go on reading (half-close), TLS 1.2 does not. */
    static final String TLS_PROTOCOL = "TLSv1.3";
    static final int MAX_LINE = 512;
    static final long HANDSHAKE_MS = 10_000;
    /**
     * TCP keepalive of every fleet connection, both ends: a runtime whose machine or network goes
     * away ends the streams it served here (and they end there) within about a minute, instead of
     * holding them open for ever.
     */
    static final KeepAlive KEEP_ALIVE = new KeepAlive(true, KeepAlive.IDLE_S, KeepAlive.INTERVAL_S, KeepAlive.COUNT);

    /** Refusal codes of an ERR answer. */
    static final String UNKNOWN = "unknown";
    static final String UNSHARED = "unshared";
    static final String FORBIDDEN = "forbidden";

    /**
     * Sets up a fleet connector or acceptor: the session options of the project's TCP sockets,
     * then TLS 1.3, then the first line of the handshake read apart ({@link FirstLineFilter}).
     */
    /** @param ssl the TLS context as it is when each session starts (the fleet's stores, loaded again when their files change) */
    static void chain(SocketSessionConfig config, DefaultIoFilterChainBuilder filters, java.util.function.Supplier<SSLContext> ssl,
            FirstLineFilter.Lines lines) {
        MinaTransports.configure(config, true, 0);
        filters.addLast("tls", new TlsFilter(ssl, TLS_PROTOCOL));
        filters.addLast("handshake", new FirstLineFilter(MAX_LINE, lines));
    }

    static byte[] openLine(String name) {
        return (OPEN + name + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] ok() {
        return "OK\n".getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] err(String code, String reason) {
        return ("ERR " + code + " " + reason.replace('\n', ' ') + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** @return the endpoint name of an OPEN line (without its newline), or null when the line is not one */
    static String openName(String line) {
        if (!line.startsWith(OPEN)) {
            return null;
        }
        String name = line.substring(OPEN.length());
        return name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c > '~') ? null : name;
    }
}
