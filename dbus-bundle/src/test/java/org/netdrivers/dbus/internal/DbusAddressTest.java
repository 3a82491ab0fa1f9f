package org.netdrivers.dbus.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.Test;

/**
 * The D-Bus address table: every row is an address list and either the entries it parses to
 * (normalized, ;-joined) or a fragment of the error message it must give.
 */
public class DbusAddressTest {
    private static final Map<String, String> ENV = Map.of("XDG_RUNTIME_DIR", "/run/user/1000");

    private static final String[][] VALID = {
        {"unix:path=/run/dbus/system_bus_socket", "unix:path=/run/dbus/system_bus_socket"},
        {"unix:path=/tmp/dbus-test,guid=0123456789abcdef0123456789abcdef", "unix:path=/tmp/dbus-test"},
        {"unix:abstract=/tmp/dbus-XyZ", "unix:abstract=/tmp/dbus-XyZ"},
        {"unix:runtime=yes", "unix:path=/run/user/1000/bus"},
        {"unix:path=/tmp/my%20bus", "unix:path=/tmp/my%20bus"},
        {"unix:path=%2ftmp%2fescaped", "unix:path=/tmp/escaped"},
        {"unix:path=/tmp/caf%c3%a9", "unix:path=/tmp/caf%c3%a9"},
        {"tcp:host=127.0.0.1,port=4321", "tcp:host=127.0.0.1,port=4321"},
        {"tcp:host=localhost,port=4321,family=ipv4", "tcp:host=127.0.0.1,port=4321,family=ipv4"},
        {"tcp:port=4321,family=ipv4", "tcp:host=127.0.0.1,port=4321,family=ipv4"},
        {"tcp:host=%3a%3a1,port=4321,family=ipv6", "tcp:host=0%3a0%3a0%3a0%3a0%3a0%3a0%3a1,port=4321,family=ipv6"},
        {"unix:path=/nonexistent/a;unix:path=/tmp/b", "unix:path=/nonexistent/a;unix:path=/tmp/b"},
        {"unix:path=/tmp/a;tcp:host=127.0.0.1,port=1;", "unix:path=/tmp/a;tcp:host=127.0.0.1,port=1"},
        {"  unix:path=/tmp/trimmed  ", "unix:path=/tmp/trimmed"},
    };

    private static final String[][] INVALID = {
        {"", "is empty"},
        {";;", "holds no entry"},
        {"/run/dbus/system_bus_socket", "is not a D-Bus address"},
        {"unix:", "has no key=value"},
        {"unix:path", "'path' is not key=value"},
        {"unix:=x", "'=x' is not key=value"},
        {"unix:path=/a,path=/b", "key 'path' is given twice"},
        {"unix:path=/a,abstract=b", "exactly one of path=, abstract= or runtime=yes, not path and abstract"},
        {"unix:guid=0123456789abcdef0123456789abcdef", "exactly one of path=, abstract= or runtime=yes"},
        {"unix:path=relative/bus", "absolute"},
        {"unix:path=/tmp/" + "x".repeat(120), "107"},
        {"unix:runtime=no", "runtime= must be yes"},
        {"unix:dir=/tmp", "unix:dir= is for listening"},
        {"unix:tmpdir=/tmp", "unix:tmpdir= is for listening"},
        {"unix:path=/tmp/a,mode=1", "unknown key 'mode' for unix"},
        {"unix:path=/tmp/a b", "holds ' ', which a D-Bus address must escape (write %20)"},
        {"unix:path=/tmp/%zz", "% not followed by two hexadecimal digits"},
        {"unix:path=/tmp/%c3", "is not UTF-8 once unescaped"},
        {"unix:path=/tmp/a,guid=xyz", "guid must be 32 hexadecimal digits"},
        {"tcp:host=127.0.0.1", "needs port="},
        {"tcp:host=127.0.0.1,port=0", "port=0 is for listening"},
        {"tcp:host=127.0.0.1,port=70000", "out of range 1..65535"},
        {"tcp:host=127.0.0.1,port=http", "is not a number"},
        {"tcp:host=127.0.0.1,port=1,family=ipv5", "family must be ipv4 or ipv6"},
        {"tcp:host=127.0.0.1,port=1,family=ipv6", "has no ipv6 address"},
        {"tcp:host=bad_host!,port=1", "holds '!'"},
        {"tcp:host=bad_host,port=1", "neither an IP address nor a valid host name"},
        {"tcp:host=127.0.0.1,bind=*,port=1", "tcp:bind= is for listening"},
        {"nonce-tcp:host=127.0.0.1,port=1,noncefile=/tmp/n", "nonce-tcp transport is not supported"},
        {"unixexec:path=/bin/sh", "unixexec transport is not supported"},
        {"autolaunch:", "autolaunch transport is not supported"},
        {"launchd:env=DBUS_LAUNCHD_SESSION_BUS_SOCKET", "launchd transport is not supported"},
        {"kernel:path=/sys/fs/kdbus/0-system/bus", "kernel transport is not supported"},
        {"udp:host=127.0.0.1,port=1", "unknown transport 'udp'"},
        {"unix:path=/tmp/a;tcp:host=127.0.0.1", "'tcp:host=127.0.0.1': a tcp address needs port="},
    };

    @Test
    public void validAddressesParseToTheirNormalForm() {
        for (String[] row : VALID) {
            List<DbusAddress> parsed = DbusAddress.parseList(row[0], ENV);
            assertEquals(row[0], row[1], parsed.stream().map(Object::toString).collect(Collectors.joining(";")));
        }
    }

    @Test
    public void invalidAddressesAreRefusedNamingTheProblem() {
        for (String[] row : INVALID) {
            try {
                List<DbusAddress> parsed = DbusAddress.parseList(row[0], ENV);
                fail(row[0] + " parsed to " + parsed + ", expected an error containing: " + row[1]);
            } catch (IllegalArgumentException e) {
                assertTrue(row[0] + ": expected an error containing '" + row[1] + "', got: " + e.getMessage(),
                        e.getMessage().contains(row[1]));
            }
        }
        System.out.println("D-Bus address table: " + VALID.length + " valid, " + INVALID.length + " rejected rows checked");
    }

    @Test
    public void runtimeNeedsXdgRuntimeDir() {
        try {
            DbusAddress.parseList("unix:runtime=yes", Map.of());
            fail("parsed without XDG_RUNTIME_DIR");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("needs XDG_RUNTIME_DIR"));
        }
    }

    @Test
    public void escapeAndUnescapeRoundTrip() {
        String raw = "/tmp/a b,c=d;é";
        assertEquals(raw, DbusAddress.unescape("x", "path", DbusAddress.escape(raw)));
        assertEquals("/tmp/a%20b%2cc%3dd%3b%c3%a9", DbusAddress.escape(raw));
    }
}
