package org.netdrivers.dbus.internal;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.freedesktop.dbus.connections.BusAddress;
import org.freedesktop.dbus.exceptions.InvalidBusAddressException;
import org.netdrivers.support.net.NetAddresses;
import org.netdrivers.support.unix.UnixAddress;

/**
 * One entry of a D-Bus server address that a client can connect to: {@code unix:path=},
 * {@code unix:abstract=}, {@code unix:runtime=yes} or {@code tcp:host=,port=,family=}, as the D-Bus
 * specification ("Server Addresses") writes them.
 *
 * <p>dbus-java's {@link BusAddress} splits an entry into its transport and key/value pairs; it
 * lacks what is added here: {@code ;}-separated lists, {@code %}-escapes, a check of every key
 * (each at most once, known for its transport), the forms a client cannot use (listen-only
 * {@code dir=}, {@code tmpdir=}, {@code bind=}, {@code port=0}), and the transports refused here
 * ({@code nonce-tcp}, {@code unixexec}, {@code launchd}, {@code autolaunch}, ...).
 */
final class DbusAddress {
    /** The bytes a value may hold unescaped; every other byte is written %xx. */
    private static final String OPTIONALLY_ESCAPED = "-_/.\\*";

    private final String text;
    private final UnixAddress unix;
    private final InetSocketAddress tcp;

    private DbusAddress(String text, UnixAddress unix, InetSocketAddress tcp) {
        this.text = text;
        this.unix = unix;
        this.tcp = tcp;
    }

    /** The Unix socket, or null for TCP. */
    UnixAddress unix() {
        return unix;
    }

    /** The TCP socket address (resolved), or null for a Unix socket. */
    InetSocketAddress tcp() {
        return tcp;
    }

    /** The entry as a D-Bus address, normalized: {@code unix:path=/run/bus}, {@code tcp:host=127.0.0.1,port=1234}. */
    @Override
    public String toString() {
        return text;
    }

    /**
     * Parses a D-Bus address list.
     *
     * @param env the environment ({@code XDG_RUNTIME_DIR} for {@code unix:runtime=yes})
     * @throws IllegalArgumentException saying which entry is wrong and why
     */
    static List<DbusAddress> parseList(String list, Map<String, String> env) {
        if (list == null || list.isBlank()) {
            throw new IllegalArgumentException("the D-Bus address is empty");
        }
        List<DbusAddress> result = new ArrayList<>();
        for (String entry : list.trim().split(";")) {
            if (!entry.isEmpty()) {
                result.add(parse(entry, env));
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("the D-Bus address '" + list + "' holds no entry");
        }
        return result;
    }

    static DbusAddress parse(String entry, Map<String, String> env) {
        int colon = entry.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + entry + "' is not a D-Bus address (expected transport:key=value,...)");
        }
        String transport = entry.substring(0, colon);
        switch (transport) {
            case "unix":
            case "tcp":
                break;
            case "nonce-tcp":
                throw new IllegalArgumentException("'" + entry + "': the nonce-tcp transport is not supported"
                        + " (its client must read a nonce file of the server); use tcp: or unix:");
            case "unixexec":
                throw new IllegalArgumentException("'" + entry + "': the unixexec transport is not supported"
                        + " (it runs a program instead of connecting to a socket)");
            case "launchd":
            case "autolaunch":
            case "systemd":
            case "kernel":
                throw new IllegalArgumentException("'" + entry + "': the " + transport + " transport is not supported;"
                        + " give the bus socket as unix:path=, unix:abstract= or tcp:host=,port=");
            default:
                throw new IllegalArgumentException("'" + entry + "': unknown transport '" + transport
                        + "' (supported: unix, tcp)");
        }
        // each key=value well formed and given once, before dbus-java splits them (it keeps the last of a repeated key)
        Set<String> keys = new LinkedHashSet<>();
        String pairs = entry.substring(colon + 1);
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("'" + entry + "' has no key=value after the transport");
        }
        for (String pair : pairs.split(",", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + entry + "': '" + pair + "' is not key=value");
            }
            if (!keys.add(pair.substring(0, eq))) {
                throw new IllegalArgumentException("'" + entry + "': key '" + pair.substring(0, eq) + "' is given twice");
            }
        }
        BusAddress address;
        try {
            address = BusAddress.of(entry);
        } catch (InvalidBusAddressException e) {
            throw new IllegalArgumentException("'" + entry + "': " + e.getMessage(), e);
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : keys) {
            values.put(key, unescape(entry, key, address.getParameterValue(key)));
        }
        String guid = values.get("guid");
        if (guid != null && !guid.matches("[0-9a-fA-F]{32}")) {
            throw new IllegalArgumentException("'" + entry + "': guid must be 32 hexadecimal digits, not '" + guid + "'");
        }
        return entry.startsWith("unix:") ? unix(entry, values, env) : tcp(entry, values);
    }

    private static DbusAddress unix(String entry, Map<String, String> values, Map<String, String> env) {
        for (String key : values.keySet()) {
            switch (key) {
                case "path": case "abstract": case "runtime": case "guid":
                    break;
                case "dir": case "tmpdir":
                    throw new IllegalArgumentException("'" + entry + "': unix:" + key + "= is for listening (a server picks"
                            + " the socket's name there); a client needs path=, abstract= or runtime=yes");
                default:
                    throw new IllegalArgumentException("'" + entry + "': unknown key '" + key + "' for unix"
                            + " (known: path, abstract, runtime, guid)");
            }
        }
        List<String> given = new ArrayList<>(values.keySet());
        given.remove("guid");
        if (given.size() != 1) {
            throw new IllegalArgumentException("'" + entry + "': a unix address needs exactly one of path=, abstract= or"
                    + " runtime=yes" + (given.isEmpty() ? "" : ", not " + String.join(" and ", given)));
        }
        String key = given.get(0);
        String value = values.get(key);
        String socket;
        if (key.equals("runtime")) {
            if (!value.equals("yes")) {
                throw new IllegalArgumentException("'" + entry + "': runtime= must be yes, not '" + value + "'");
            }
            String dir = env.get("XDG_RUNTIME_DIR");
            if (dir == null || dir.isEmpty()) {
                throw new IllegalArgumentException("'" + entry + "': runtime=yes needs XDG_RUNTIME_DIR, which is not set");
            }
            socket = dir + "/bus";
        } else if (key.equals("abstract")) {
            socket = "@" + value;
        } else {
            socket = value;
        }
        UnixAddress unix;
        try {
            unix = UnixAddress.of(socket);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + entry + "': " + e.getMessage(), e);
        }
        String text = unix.isAbstract() ? "unix:abstract=" + escape(socket.substring(1)) : "unix:path=" + escape(socket);
        return new DbusAddress(text, unix, null);
    }

    private static DbusAddress tcp(String entry, Map<String, String> values) {
        for (String key : values.keySet()) {
            switch (key) {
                case "host": case "port": case "family": case "guid":
                    break;
                case "bind":
                    throw new IllegalArgumentException("'" + entry + "': tcp:bind= is for listening; a client needs host= and port=");
                default:
                    throw new IllegalArgumentException("'" + entry + "': unknown key '" + key + "' for tcp"
                            + " (known: host, port, family, guid)");
            }
        }
        String host = values.getOrDefault("host", "localhost"); // as libdbus: no host means localhost
        String portText = values.get("port");
        if (portText == null) {
            throw new IllegalArgumentException("'" + entry + "': a tcp address needs port=");
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + entry + "': port '" + portText + "' is not a number");
        }
        if (port == 0) {
            throw new IllegalArgumentException("'" + entry + "': port=0 is for listening (any free port); a client needs the server's port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + entry + "': port " + port + " is out of range 1..65535");
        }
        String family = values.get("family");
        if (family != null && !family.equals("ipv4") && !family.equals("ipv6")) {
            throw new IllegalArgumentException("'" + entry + "': family must be ipv4 or ipv6, not '" + family + "'");
        }
        if (!NetAddresses.isValidHost(host)) {
            throw new IllegalArgumentException("'" + entry + "': '" + host + "' is neither an IP address nor a valid host name");
        }
        InetAddress resolved = null;
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (family == null || (family.equals("ipv4") ? a instanceof Inet4Address : a instanceof Inet6Address)) {
                    resolved = a;
                    break;
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + entry + "': cannot resolve host '" + host + "'");
        }
        if (resolved == null) {
            throw new IllegalArgumentException("'" + entry + "': host '" + host + "' has no " + family + " address");
        }
        String text = "tcp:host=" + escape(resolved.getHostAddress()) + ",port=" + port
                + (family != null ? ",family=" + family : "");
        return new DbusAddress(text, null, new InetSocketAddress(resolved, port));
    }

    /** Decodes %xx escapes; refuses bytes the specification says must be escaped, and bytes that are not UTF-8. */
    static String unescape(String entry, String key, String value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length() || Character.digit(value.charAt(i + 1), 16) < 0
                        || Character.digit(value.charAt(i + 2), 16) < 0) {
                    throw new IllegalArgumentException("'" + entry + "': " + key + "= has a % not followed by two hexadecimal digits");
                }
                bytes.write(Character.digit(value.charAt(i + 1), 16) * 16 + Character.digit(value.charAt(i + 2), 16));
                i += 2;
            } else if (isOptionallyEscaped(c)) {
                bytes.write(c);
            } else {
                throw new IllegalArgumentException("'" + entry + "': " + key + "= holds '" + c + "', which a D-Bus address"
                        + " must escape (write %" + String.format("%02x", (int) c & 0xff) + ")");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("'" + entry + "': " + key + "= is not UTF-8 once unescaped");
        }
    }

    private static boolean isOptionallyEscaped(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || OPTIONALLY_ESCAPED.indexOf(c) >= 0;
    }

    /** Escapes a value as the specification says: every byte outside [-0-9A-Za-z_/.\*] as %xx. */
    static String escape(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (b >= 0 && isOptionallyEscaped(c)) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02x", b & 0xff));
            }
        }
        return out.toString();
    }
}
