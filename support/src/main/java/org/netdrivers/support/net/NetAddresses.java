package org.netdrivers.support.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Parsing and formatting of the URI-shaped addresses of netdrivers ({@code tcp://127.0.0.1:5201},
 * {@code tcp://[::1]:8080}, {@code tcp://[fe80::1%25eth0]:22}). Parsing is {@link URI}'s; the
 * zone of a link-local IPv6 address is written {@code %25zone} (RFC 6874) and also read as {@code
 * %zone}.
 */
public final class NetAddresses {
    private NetAddresses() {}

    /**
     * Parses a listen address {@code scheme://HOST:PORT}. HOST must be an IP literal or {@code
     * localhost}; a name is not resolved for listening. An omitted host ({@code tcp://:5201})
     * means 127.0.0.1.
     *
     * @throws IllegalArgumentException with a message saying what is wrong
     */
    public static InetSocketAddress parseListen(String text, String scheme) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a " + scheme + ":// address: " + e.getReason());
        }
        if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase(scheme) || uri.getRawAuthority() == null) {
            throw new IllegalArgumentException("\"" + text + "\" is not of the form " + scheme + "://HOST:PORT");
        }
        if (!(uri.getRawPath() == null || uri.getRawPath().isEmpty()) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("\"" + text + "\" has a path, query or fragment; expected " + scheme + "://HOST:PORT");
        }
        String authority = uri.getRawAuthority();
        int colon = authority.lastIndexOf(':');
        if (colon < 0 || authority.endsWith("]")) {
            throw new IllegalArgumentException("\"" + text + "\" has no port; expected " + scheme + "://HOST:PORT");
        }
        String host = authority.substring(0, colon);
        String portText = authority.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + text + "\" has port \"" + portText + "\", not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("\"" + text + "\" has port " + port + ", out of range 0..65535");
        }
        InetAddress address;
        if (host.isEmpty()) {
            address = InetAddress.getLoopbackAddress();
        } else if (host.equalsIgnoreCase("localhost")) {
            address = InetAddress.getLoopbackAddress();
        } else {
            if (!isIpLiteral(host)) {
                throw new IllegalArgumentException("\"" + text + "\" names host \"" + host
                        + "\"; a listen address must be an IP address (127.0.0.1, [::1]) or localhost");
            }
            try {
                address = resolve(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("\"" + text + "\" has an invalid IP address: " + e.getMessage());
            }
        }
        return new InetSocketAddress(address, port);
    }

    /** Whether {@code host} (bare or bracketed, zone as %zone or %25zone) is an IPv4 or IPv6 literal. */
    public static boolean isIpLiteral(String host) {
        String h = unbracket(host);
        if (h.contains(":")) {
            return h.matches("[0-9A-Fa-f:.]+(%.+)?");
        }
        if (!h.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return false;
        }
        for (String octet : h.split("\\.")) {
            if (Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code host} is an IP literal or a syntactically valid DNS name (RFC 1123 labels of
     * letters, digits and hyphens), so that nothing else is ever handed to the resolver.
     */
    public static boolean isValidHost(String host) {
        if (isIpLiteral(host)) {
            return true;
        }
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        return h.length() <= 253 && h.matches("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    }

    /**
     * Resolves a host (a name, an IPv4 literal, a bare or bracketed IPv6 literal with an optional
     * zone) to one address, the first the system resolver returns.
     */
    public static InetAddress resolve(String host) throws UnknownHostException {
        return InetAddress.getByName(unbracket(host));
    }

    private static String unbracket(String host) {
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.replace("%25", "%");
    }

    /**
     * Formats {@code scheme://HOST:PORT}: IPv6 in brackets, compressed as RFC 5952 says, the zone
     * kept as {@code %25zone}.
     */
    public static String format(String scheme, InetSocketAddress address) {
        return scheme + "://" + formatHost(address.getAddress()) + ":" + address.getPort();
    }

    /** The host part: {@code 127.0.0.1} or {@code [::1]} or {@code [fe80::1%25eth0]}. */
    public static String formatHost(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        Inet6Address a6 = (Inet6Address) address;
        String zone = null;
        if (a6.getScopedInterface() != null) {
            zone = a6.getScopedInterface().getName();
        } else if (a6.getScopeId() != 0) {
            zone = Integer.toString(a6.getScopeId());
        }
        return "[" + compress(a6.getAddress()) + (zone == null ? "" : "%25" + zone) + "]";
    }

    /** RFC 5952 text of a 16-byte IPv6 address: lower case, longest run of zero groups as "::". */
    static String compress(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
