package org.netdrivers.vsock.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketException;

import org.newsclub.net.unix.AFAddressFamily;
import org.newsclub.net.unix.AFAddressFamilyConfig;
import org.newsclub.net.unix.AFDatagramChannel;
import org.newsclub.net.unix.AFDatagramSocket;
import org.newsclub.net.unix.AFDatagramSocketImpl;
import org.newsclub.net.unix.AFSelectorProvider;
import org.newsclub.net.unix.AFServerSocket;
import org.newsclub.net.unix.AFServerSocketChannel;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFSocketCapability;
import org.newsclub.net.unix.AFSocketChannel;
import org.newsclub.net.unix.AFSocketFactory;
import org.newsclub.net.unix.AFSocketImpl;
import org.newsclub.net.unix.AFSocketPair;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFSomeSocket;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * AF_VSOCK sockets through junixsocket's public extension API for address families: its common
 * module knows the address ({@link AFVSOCKSocketAddress}) and its native library the socket
 * calls; these classes give it the socket, channel and selector types, so that vsock channels are
 * non-blocking {@code SocketChannel}s on a selector like the Unix driver's. The family is
 * registered with this bundle's private copy of junixsocket when the class is first used.
 */
final class VsockFamily {
    private VsockFamily() {}

    /** AF_VSOCK with junixsocket: registered once, on first use. */
    static final AFAddressFamily<AFVSOCKSocketAddress> AF_VSOCK = AFAddressFamily.registerAddressFamilyImpl("vsock",
            AFVSOCKSocketAddress.addressFamily(), new AFAddressFamilyConfig<AFVSOCKSocketAddress>() {
                @Override
                protected Class<? extends AFSocket<AFVSOCKSocketAddress>> socketClass() {
                    return Socket.class;
                }

                @Override
                protected AFSocket.Constructor<AFVSOCKSocketAddress> socketConstructor() {
                    return Socket::new;
                }

                @Override
                protected Class<? extends AFServerSocket<AFVSOCKSocketAddress>> serverSocketClass() {
                    return ServerSocket.class;
                }

                @Override
                protected AFServerSocket.Constructor<AFVSOCKSocketAddress> serverSocketConstructor() {
                    return ServerSocket::new;
                }

                @Override
                protected Class<? extends AFSocketChannel<AFVSOCKSocketAddress>> socketChannelClass() {
                    return Channel.class;
                }

                @Override
                protected Class<? extends AFServerSocketChannel<AFVSOCKSocketAddress>> serverSocketChannelClass() {
                    return ServerChannel.class;
                }

                @Override
                protected Class<? extends AFDatagramSocket<AFVSOCKSocketAddress>> datagramSocketClass() {
                    return DatagramSocket.class;
                }

                @Override
                protected AFDatagramSocket.Constructor<AFVSOCKSocketAddress> datagramSocketConstructor() {
                    return DatagramSocket::new;
                }

                @Override
                protected Class<? extends AFDatagramChannel<AFVSOCKSocketAddress>> datagramChannelClass() {
                    return DatagramChannel.class;
                }
            });

    /** The one selector provider of vsock channels. */
    static final Provider PROVIDER = new Provider();

    /** @return null where this kernel and the native library serve AF_VSOCK, else why not */
    static String unsupportedBecause() {
        try {
            if (!AFSocket.isSupported()) {
                return "junixsocket's native library cannot be loaded on this system";
            }
            if (!AFSocket.supports(AFSocketCapability.CAPABILITY_VSOCK)) {
                return "the kernel offers no AF_VSOCK sockets (no vsock transport loaded)";
            }
            return null;
        } catch (RuntimeException | LinkageError e) {
            return "junixsocket cannot be used: " + e;
        }
    }

    /** A new, unconnected, blocking vsock channel. */
    static java.nio.channels.SocketChannel openChannel() throws IOException {
        return PROVIDER.openSocketChannel();
    }

    static final class Socket extends AFSocket<AFVSOCKSocketAddress> {
        Socket(FileDescriptor fd, AFSocketFactory<AFVSOCKSocketAddress> factory) throws SocketException {
            super(new Impl(fd), factory);
        }

        /** A new, unbound socket. */
        static Socket create() throws SocketException {
            return (Socket) AFSocket.newInstance(Socket::new, (AFSocketFactory<AFVSOCKSocketAddress>) null);
        }

        @Override
        protected AFSocketChannel<AFVSOCKSocketAddress> newChannel() {
            return new Channel(this);
        }
    }

    static final class Impl extends AFSocketImpl<AFVSOCKSocketAddress> {
        Impl(FileDescriptor fd) {
            super(AF_VSOCK, fd);
        }

        /** Options AF_VSOCK has no equivalent for (TCP_NODELAY and the like) are ignored, not refused. */
        @Override
        public Object getOption(int optID) throws SocketException {
            return getOptionLenient(optID);
        }

        @Override
        public void setOption(int optID, Object value) throws SocketException {
            setOptionLenient(optID, value);
        }
    }

    static final class ServerSocket extends AFServerSocket<AFVSOCKSocketAddress> {
        ServerSocket(FileDescriptor fd) throws IOException {
            super(fd);
        }

        @Override
        protected AFServerSocketChannel<AFVSOCKSocketAddress> newChannel() {
            return new ServerChannel(this);
        }

        @Override
        protected AFSocketImpl<AFVSOCKSocketAddress> newImpl(FileDescriptor fd) {
            return new Impl(fd);
        }

        @Override
        protected AFSocket<AFVSOCKSocketAddress> newSocketInstance() throws IOException {
            return Socket.create();
        }
    }

    static final class Channel extends AFSocketChannel<AFVSOCKSocketAddress> {
        Channel(AFSocket<AFVSOCKSocketAddress> socket) {
            super(socket, PROVIDER);
        }
    }

    static final class ServerChannel extends AFServerSocketChannel<AFVSOCKSocketAddress> {
        ServerChannel(AFServerSocket<AFVSOCKSocketAddress> socket) {
            super(socket, PROVIDER);
        }
    }

    static final class DatagramSocket extends AFDatagramSocket<AFVSOCKSocketAddress> {
        DatagramSocket(FileDescriptor fd) throws IOException {
            super(new DatagramImpl(fd));
        }

        @Override
        protected AFDatagramChannel<AFVSOCKSocketAddress> newChannel() {
            return new DatagramChannel(this);
        }

        @Override
        protected AFDatagramSocket<AFVSOCKSocketAddress> newDatagramSocketInstance() throws IOException {
            return new DatagramSocket(null);
        }
    }

    static final class DatagramImpl extends AFDatagramSocketImpl<AFVSOCKSocketAddress> {
        DatagramImpl(FileDescriptor fd) {
            super(AF_VSOCK, fd, AFSocketType.SOCK_DGRAM);
        }
    }

    static final class DatagramChannel extends AFDatagramChannel<AFVSOCKSocketAddress> {
        DatagramChannel(AFDatagramSocket<AFVSOCKSocketAddress> socket) {
            super(PROVIDER, socket);
        }
    }

    /** The protocol family vsock channels report. */
    enum Family implements ProtocolFamily {
        VSOCK
    }

    static final class Pair<T extends AFSomeSocket> extends AFSocketPair<T> {
        Pair(T a, T b) {
            super(a, b);
        }
    }

    static final class Provider extends AFSelectorProvider<AFVSOCKSocketAddress> {
        @Override
        protected <Y extends AFSomeSocket> AFSocketPair<Y> newSocketPair(Y a, Y b) {
            return new Pair<>(a, b);
        }

        @Override
        protected AFSocket<AFVSOCKSocketAddress> newSocket() throws IOException {
            return Socket.create();
        }

        @Override
        protected ProtocolFamily protocolFamily() {
            return Family.VSOCK;
        }

        @Override
        protected AFAddressFamily<AFVSOCKSocketAddress> addressFamily() {
            return AF_VSOCK;
        }

        @Override
        public AFSocketChannel<AFVSOCKSocketAddress> openSocketChannel() throws IOException {
            return newSocket().getChannel();
        }

        @Override
        public AFSocketChannel<AFVSOCKSocketAddress> openSocketChannel(SocketAddress address) throws IOException {
            AFSocketChannel<AFVSOCKSocketAddress> ch = openSocketChannel();
            ch.connect(address);
            return ch;
        }

        @Override
        public AFServerSocketChannel<AFVSOCKSocketAddress> openServerSocketChannel() throws IOException {
            return new ServerSocket(null).getChannel();
        }

        @Override
        public AFServerSocketChannel<AFVSOCKSocketAddress> openServerSocketChannel(SocketAddress address) throws IOException {
            AFServerSocketChannel<AFVSOCKSocketAddress> ch = openServerSocketChannel();
            ch.bind(address);
            return ch;
        }

        @Override
        public AFDatagramChannel<AFVSOCKSocketAddress> openDatagramChannel() throws IOException {
            return new DatagramSocket(null).getChannel();
        }

        @Override
        public AFDatagramChannel<AFVSOCKSocketAddress> openDatagramChannel(AFSocketType type) throws IOException {
            if (type != AFSocketType.SOCK_DGRAM) {
                throw new IOException("vsock datagrams: only SOCK_DGRAM");
            }
            return openDatagramChannel();
        }
    }
}
