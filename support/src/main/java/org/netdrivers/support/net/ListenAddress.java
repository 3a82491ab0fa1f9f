package org.netdrivers.support.net;

import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * Where an export listens: {@code tcp://HOST:PORT}, {@code tls://HOST:PORT}, {@code udp://HOST:PORT}, {@code unix:/PATH} or
 * {@code unix:@NAME}. The host must be an IP literal or {@code
 * localhost}; omitted, it is 127.0.0.1.
 */
public final class ListenAddress {
    private final String scheme;
    private final InetSocketAddress socketAddress; // tcp, udp
    private final String unixPath; // unix: the path or @name
    private final int unixMode; // unix: the socket file's permissions

    private ListenAddress(String scheme, InetSocketAddress socketAddress, String unixPath, int unixMode) {
        this.scheme = scheme;
        this.socketAddress = socketAddress;
        this.unixPath = unixPath;
        this.unixMode = unixMode;
    }

    /**
     * The same address with the socket file's mode, an octal number such as {@code 0600} or {@code 660}.
     *
     * @throws IllegalArgumentException for anything but an octal mode up to 0777
     */
    public ListenAddress withMode(String octal) {
        String m = octal.trim();
        if (!m.matches("0?[0-7]{3}")) {
            throw new IllegalArgumentException("\"" + octal + "\" is not an octal file mode such as 0600 or 0660");
        }
        return new ListenAddress(scheme, socketAddress, unixPath, Integer.parseInt(m, 8));
    }

    /** The socket file's permissions as {@code rw-------}; 0600 unless {@link #withMode} said otherwise. */
    public String unixMode() {
        StringBuilder sb = new StringBuilder();
        String letters = "rwx";
        for (int bit = 8; bit >= 0; bit--) {
            sb.append((unixMode & (1 << bit)) != 0 ? letters.charAt((8 - bit) % 3) : '-');
        }
        return sb.toString();
    }

    /** @return the address {@code text} names, or empty where it names none */
    public static java.util.Optional<ListenAddress> tryParse(String text) {
        try {
            return java.util.Optional.of(parse(text));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** @throws IllegalArgumentException with a message naming what is wrong */
    public static ListenAddress parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String scheme = colon > 0 ? t.substring(0, colon).toLowerCase(Locale.ROOT) : "";
        if (scheme.equals("unix")) {
            try {
                return new ListenAddress(scheme, null, UnixPaths.fromUri(t), 0600);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("\"" + text + "\": " + e.getMessage());
            }
        }
        if (!scheme.equals("tcp") && !scheme.equals("udp") && !scheme.equals("tls")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a supported listen address; expected tcp://HOST:PORT, "
                    + "tls://HOST:PORT, udp://HOST:PORT, unix:/PATH or unix:@NAME");
        }
        InetSocketAddress address = NetAddresses.parseListen(t, scheme);
        if (address.getPort() == 0) {
            throw new IllegalArgumentException("\"" + text + "\" has port 0; a listen address needs a fixed port 1..65535");
        }
        return new ListenAddress(scheme, address, null, 0);
    }

    /** TCP with TLS: clients authenticate with a certificate (mutual TLS). */
    public boolean isTls() {
        return scheme.equals("tls");
    }

    public boolean isUnix() {
        return scheme.equals("unix");
    }

    /** For a unix: address, the path or @name. */
    public String unixPath() {
        return unixPath;
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

    /** Whether only this machine can connect: loopback IP addresses and Unix sockets. */
    public boolean isLoopback() {
        return isUnix() || socketAddress.getAddress().isLoopbackAddress();
    }

    /** The normalized text, such as {@code tcp://127.0.0.1:5555} or {@code tcp://[::1]:5555}. */
    @Override
    public String toString() {
        return isUnix() ? "unix:" + unixPath : NetAddresses.format(scheme, socketAddress);
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
