package org.netdrivers.support;

import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * Where an export listens: {@code tcp://HOST:PORT} or {@code udp://HOST:PORT}. The host must be an IP literal or {@code
 * localhost}; omitted, it is 127.0.0.1.
 */
public final class ListenAddress {
    private final String scheme;
    private final InetSocketAddress socketAddress;

    private ListenAddress(String scheme, InetSocketAddress socketAddress) {
        this.scheme = scheme;
        this.socketAddress = socketAddress;
    }

    /** @throws IllegalArgumentException with a message naming what is wrong */
    public static ListenAddress parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String scheme = colon > 0 ? t.substring(0, colon).toLowerCase(Locale.ROOT) : "";
        if (!scheme.equals("tcp") && !scheme.equals("udp")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a supported listen address; expected tcp://HOST:PORT or udp://HOST:PORT");
        }
        InetSocketAddress address = NetAddresses.parseListen(t, scheme);
        if (address.getPort() == 0) {
            throw new IllegalArgumentException("\"" + text + "\" has port 0; a listen address needs a fixed port 1..65535");
        }
        return new ListenAddress(scheme, address);
    }

    public boolean isUdp() {
        return scheme.equals("udp");
    }

    public String scheme() {
        return scheme;
    }

    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public boolean isLoopback() {
        return socketAddress.getAddress().isLoopbackAddress();
    }

    /** The normalized text, such as {@code tcp://127.0.0.1:5555} or {@code tcp://[::1]:5555}. */
    @Override
    public String toString() {
        return NetAddresses.format(scheme, socketAddress);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ListenAddress && o.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
