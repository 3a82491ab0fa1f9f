package org.netdrivers.support.unix;

import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Path;

import org.netdrivers.support.net.UnixPaths;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;

import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * A Unix-domain socket address: a file path ({@code /run/dut.sock}) or, on Linux, a name in the
 * abstract namespace ({@code @dut}). Written {@code unix:/run/dut.sock} and {@code unix:@dut}.
 */
public final class UnixAddress {
    private final String text; // the path, or @name

    private UnixAddress(String text) {
        this.text = text;
    }

    /**
     * Parses a path or {@code @name}.
     *
     * @throws IllegalArgumentException saying what is wrong: relative, too long, empty, abstract off Linux
     */
    public static UnixAddress of(String pathOrName) {
        return new UnixAddress(UnixPaths.check(pathOrName));
    }

    /** Parses {@code unix:/path} or {@code unix:@name}. */
    public static UnixAddress parseUri(String uri) {
        return of(UnixPaths.fromUri(uri));
    }

    public boolean isAbstract() {
        return text.startsWith("@");
    }

    /** The file, for a path address. */
    public Path path() {
        if (isAbstract()) {
            throw new IllegalStateException(text + " is not a file");
        }
        return Path.of(text);
    }

    /**
     * The address to bind or connect to. A file path uses the JDK's own AF_UNIX channels (Java
     * 16+); only the abstract namespace, which the JDK lacks, uses junixsocket. (junixsocket's
     * selector closes a channel as soon as poll reports a hang-up, which can drop the last bytes
     * of a connection both sides have shut down; the JDK's channels let them be read.)
     */
    public SocketAddress socketAddress() throws SocketException {
        return isAbstract() ? AFUNIXSocketAddress.inAbstractNamespace(text.substring(1)) : UnixDomainSocketAddress.of(Path.of(text));
    }

    /** A new, unconnected channel of the right implementation for this address. */
    public SocketChannel openChannel() throws IOException {
        return isAbstract() ? AFUNIXSocketChannel.open() : SocketChannel.open(StandardProtocolFamily.UNIX);
    }

    /** A new, unbound server channel of the right implementation for this address. */
    public ServerSocketChannel openServerChannel() throws IOException {
        return isAbstract() ? AFUNIXServerSocketChannel.open() : ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    }

    /** The selector provider that serves the channels of this address. */
    public SelectorProvider selectorProvider() {
        return isAbstract() ? AFUNIXSelectorProvider.provider() : SelectorProvider.provider();
    }

    /** {@code unix:/path} or {@code unix:@name}. */
    @Override
    public String toString() {
        return "unix:" + text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnixAddress && ((UnixAddress) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** Whether something accepts connections at this address now (a live socket, as opposed to a stale file). */
    public boolean isLive() {
        try (SocketChannel probe = openChannel()) {
            probe.connect(socketAddress());
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
