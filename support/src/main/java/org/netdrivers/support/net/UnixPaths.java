package org.netdrivers.support.net;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Checks Unix-domain socket addresses as text, without touching a socket: an absolute path, or
 * {@code @name} in the Linux abstract namespace, written {@code unix:/path} or {@code unix:@name}.
 */
public final class UnixPaths {
    /** sun_path holds 108 bytes on Linux, the terminating NUL (or the leading NUL of an abstract name) included. */
    public static final int MAX_BYTES = 107;

    private UnixPaths() {}

    /** The Linux abstract namespace exists on Linux only. */
    public static boolean abstractNamespaceSupported() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }

    /**
     * @return the trimmed path or @name
     * @throws IllegalArgumentException saying what is wrong: empty, relative, too long, abstract off Linux
     */
    public static String check(String pathOrName) {
        String t = pathOrName.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("is empty; give an absolute path or @name");
        }
        if (t.startsWith("@")) {
            if (t.length() == 1) {
                throw new IllegalArgumentException("\"@\" names no socket; give @name");
            }
            if (!abstractNamespaceSupported()) {
                throw new IllegalArgumentException("\"" + t + "\" is in the Linux abstract namespace, which this system ("
                        + System.getProperty("os.name") + ") does not have");
            }
        } else if (!t.startsWith("/")) {
            throw new IllegalArgumentException("\"" + t + "\" is not an absolute path (it must start with /) nor an abstract @name");
        } else if (t.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("contains a NUL character");
        }
        int bytes = t.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException("\"" + t + "\" is " + bytes + " bytes long; a Unix socket address holds at most "
                    + MAX_BYTES);
        }
        return t;
    }

    /** The path or @name of {@code unix:/path}, {@code unix:@name} (also {@code unix:///path}). */
    public static String fromUri(String uri) {
        String t = uri.trim();
        if (!t.toLowerCase(Locale.ROOT).startsWith("unix:")) {
            throw new IllegalArgumentException("\"" + uri + "\" is not a unix: address");
        }
        String rest = t.substring(5);
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
        }
        return check(rest);
    }
}
