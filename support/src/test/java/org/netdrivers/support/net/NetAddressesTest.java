package org.netdrivers.support.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.Test;

public class NetAddressesTest {

    @Test
    public void ipv6IsCompressedAsRfc5952Says() throws Exception {
        assertEquals("::1", NetAddresses.compress(InetAddress.getByName("::1").getAddress()));
        assertEquals("::", NetAddresses.compress(new byte[16]));
        assertEquals("2001:db8::1", NetAddresses.compress(InetAddress.getByName("2001:db8:0:0:0:0:0:1").getAddress()));
        assertEquals("2001:db8:0:1:1:1:1:1", NetAddresses.compress(InetAddress.getByName("2001:db8:0:1:1:1:1:1").getAddress()));
        assertEquals("2001:0:0:1::1", NetAddresses.compress(InetAddress.getByName("2001:0:0:1:0:0:0:1").getAddress()));
        assertEquals("fe80::abcd", NetAddresses.compress(InetAddress.getByName("FE80::ABCD").getAddress()));
    }

    @Test
    public void formatPutsIpv6InBracketsAndKeepsTheZone() throws Exception {
        assertEquals("tcp://127.0.0.1:5201", NetAddresses.format("tcp", new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5201)));
        assertEquals("tcp://[::1]:8080", NetAddresses.format("tcp", new InetSocketAddress(InetAddress.getByName("::1"), 8080)));
        InetAddress scoped = Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), 3);
        assertEquals("udp://[fe80::1%253]:22", NetAddresses.format("udp", new InetSocketAddress(scoped, 22)));
    }

    @Test
    public void hostSyntaxIsCheckedBeforeAnyLookup() {
        assertTrue(NetAddresses.isValidHost("device-1.lab.example"));
        assertTrue(NetAddresses.isValidHost("localhost"));
        assertTrue(NetAddresses.isValidHost("::1"));
        assertTrue(NetAddresses.isValidHost("[fe80::1%eth0]"));
        assertTrue(NetAddresses.isValidHost("10.0.0.1"));
        assertFalse(NetAddresses.isValidHost("bad host!"));
        assertFalse(NetAddresses.isValidHost("-leading.example"));
        assertFalse(NetAddresses.isValidHost("a..b"));
    }

    @Test
    public void listenAddressesParseLiteralsAndLocalhost() {
        assertEquals("tcp://127.0.0.1:5555", ListenAddress.parse("tcp://127.0.0.1:5555").toString());
        assertEquals("tcp://127.0.0.1:5555", ListenAddress.parse(" TCP://localhost:5555 ").toString());
        assertEquals("tcp://127.0.0.1:5555", ListenAddress.parse("tcp://:5555").toString());
        assertEquals("tcp://[::1]:5555", ListenAddress.parse("tcp://[::1]:5555").toString());
        assertEquals("tcp://0.0.0.0:5555", ListenAddress.parse("tcp://0.0.0.0:5555").toString());
        assertTrue(ListenAddress.parse("tcp://[::1]:5555").isLoopback());
        assertFalse(ListenAddress.parse("tcp://0.0.0.0:5555").isLoopback());
        assertEquals(ListenAddress.parse("tcp://localhost:1"), ListenAddress.parse("tcp://127.0.0.1:1"));
    }

    @Test
    public void unixListenAddressesAndModes() {
        ListenAddress a = ListenAddress.parse("unix:/run/netdrivers/dut.sock");
        assertTrue(a.isUnix());
        assertTrue(a.isLoopback());
        assertEquals("unix:/run/netdrivers/dut.sock", a.toString());
        assertEquals("rw-------", a.unixMode());
        assertEquals("rw-rw----", a.withMode("0660").unixMode());
        assertEquals("rwxr-x---", a.withMode("750").unixMode());
        assertEquals("unix:@dut", ListenAddress.parse("unix:@dut").toString());
        assertEquals(ListenAddress.parse("unix:///tmp/x.sock"), ListenAddress.parse("unix:/tmp/x.sock"));
        try {
            a.withMode("0800");
            fail("0800 is not octal");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not an octal file mode"));
        }
        rejects("unix:relative.sock", "is not an absolute path");
        rejects("unix:/" + "x".repeat(110), "a Unix socket address holds at most 107");
        rejects("unix:@", "names no socket");
        rejects("udp://127.0.0.1:0", "needs a fixed port");
        assertTrue(ListenAddress.parse("udp://[::1]:5353").isUdp());
    }

    @Test
    public void badListenAddressesSayWhatIsWrong() {
        rejects("tcp://127.0.0.1", "has no port");
        rejects("tcp://[::1]", "has no port");
        rejects("tcp://127.0.0.1:abc", "not a number");
        rejects("tcp://127.0.0.1:70000", "out of range 0..65535");
        rejects("tcp://127.0.0.1:0", "needs a fixed port");
        rejects("udp2://127.0.0.1:1", "not a supported listen address");
        rejects("127.0.0.1:5555", "not a supported listen address");
        rejects("tcp://example.org:5555", "must be an IP address");
        rejects("tcp://127.0.0.1:5555/path", "has a path");
        rejects("tcp://a b:1", "is not a tcp:// address");
        rejects("tcp://999.1.1.1:1", "must be an IP address");
    }

    private static void rejects(String text, String why) {
        try {
            ListenAddress.parse(text);
            fail("accepted " + text);
        } catch (IllegalArgumentException e) {
            assertTrue(text + ": " + e.getMessage(), e.getMessage().contains(why));
            assertTrue(text + " is quoted: " + e.getMessage(), e.getMessage().contains(text.trim()));
        }
    }

    @Test
    public void oneListenAddressHasOneTextWhateverItWasWrittenAs() {
        assertEquals(ListenAddress.parse("tcp://127.0.0.1:5555"), ListenAddress.parse(" TCP://127.0.0.1:5555 "));
        assertEquals(ListenAddress.parse("tcp://[::1]:5555"), ListenAddress.parse("tcp://[0:0:0:0:0:0:0:1]:5555"));
        org.junit.Assert.assertNotEquals(ListenAddress.parse("tcp://127.0.0.1:5555"), ListenAddress.parse("udp://127.0.0.1:5555"));
    }

    @Test
    public void tryParseIsEmptyWhereTheTextIsNoAddress() {
        assertEquals(java.util.Optional.of(ListenAddress.parse("udp://127.0.0.1:9")), ListenAddress.tryParse("udp://127.0.0.1:9"));
        assertEquals(java.util.Optional.empty(), ListenAddress.tryParse("tcp://127.0.0.1:0"));
        assertEquals(java.util.Optional.empty(), ListenAddress.tryParse("http://127.0.0.1:80"));
    }
}
