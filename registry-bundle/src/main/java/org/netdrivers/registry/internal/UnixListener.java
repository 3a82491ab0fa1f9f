package org.netdrivers.registry.internal;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.netdrivers.io.SelectorLoop;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.SocketBuffers;
import org.netdrivers.support.nio.NioByteStream;
import org.netdrivers.support.unix.UnixAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Unix-domain socket listener. A path (the JDK's channels) listens on one of the runtime's
 * selector loops and spreads its connections over all of them: each connection's events, and
 * the driver stream it opens, run on its loop. An {@code @name} (junixsocket's channels) has one
 * loop of its own. The socket file is created with the configured mode (0600 unless asked
 * otherwise); a stale file (nobody listening) is replaced; a live one is left alone and the
 * export fails; the file is removed on close.
 */
final class UnixListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(UnixListener.class);

    private final UnixAddress address;
    private final SelectorLoop ownLoop; // null where the runtime's loops serve
    private final Supplier<SelectorLoop> connectionLoops;
    private final ServerSocketChannel server;
    private final AtomicLong accepted = new AtomicLong();

    private final int socketBufferBytes;

    private UnixListener(UnixAddress address, SelectorLoop ownLoop, Supplier<SelectorLoop> connectionLoops,
            ServerSocketChannel server, int socketBufferBytes) {
        this.socketBufferBytes = socketBufferBytes;
        this.address = address;
        this.ownLoop = ownLoop;
        this.connectionLoops = connectionLoops;
        this.server = server;
    }

    static UnixListener bind(ListenAddress listen, ExportSettings context, long clientLimit, Accepted onAccepted) throws IOException {
        UnixAddress address = UnixAddress.of(listen.unixPath());
        if (!address.isAbstract()) {
            Path file = address.path();
            if (Files.exists(file) || Files.isSymbolicLink(file)) {
                if (address.isLive()) {
                    throw new IOException("someone is listening on " + file + " already; it is left alone");
                }
                Files.delete(file);
                LOG.info("export {}: replaced a stale socket file nobody listened on", listen);
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        ServerSocketChannel server = address.openServerChannel();
        SelectorLoop own = null;
        try {
            bindInPlace(server, address, listen.unixMode(), context.backlog());
            SelectorLoop acceptLoop;
            UnixListener l;
            if (address.isAbstract()) {
                own = new SelectorLoop("netdrivers-export-" + listen, address.selectorProvider());
                SelectorLoop only = own;
                acceptLoop = own;
                l = new UnixListener(address, own, () -> only, server, 0);
            } else {
                acceptLoop = context.io().nextLoop();
                l = new UnixListener(address, null, context.io()::nextLoop, server, context.socketBufferBytes());
            }
            acceptLoop.execute(() -> {
                try {
                    acceptLoop.register(server, SelectionKey.OP_ACCEPT, key -> l.acceptAll(listen, clientLimit, onAccepted));
                } catch (IOException e) {
                    LOG.error("export {}: cannot watch the listening socket", listen, e);
                }
            });
            return l;
        } catch (IOException | RuntimeException e) {
            if (own != null) {
                own.close();
            }
            server.close();
            if (!address.isAbstract()) {
                Files.deleteIfExists(address.path());
            }
            throw e;
        }
    }

    /**
     * Binds and listens. A file path is bound under a temporary name beside it, given its mode,
     * and only then renamed into place: the file appears when the socket listens and with its
     * mode, never before (a client that waits for the file was refused for a moment, and the file
     * was briefly open to the umask's permissions).
     */
    private static void bindInPlace(ServerSocketChannel server, UnixAddress address, String mode, int backlog) throws IOException {
        if (address.isAbstract()) {
            server.bind(address.socketAddress(), backlog);
            return;
        }
        Path file = address.path();
        Path temp = file.resolveSibling("." + Long.toHexString(System.nanoTime()) + ".bind");
        if (temp.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > org.netdrivers.support.net.UnixPaths.MAX_BYTES) {
            temp = null; // no room for a temporary name: bind in place
        }
        if (temp == null) {
            server.bind(address.socketAddress(), backlog);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            return;
        }
        try {
            server.bind(java.net.UnixDomainSocketAddress.of(temp), backlog);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(mode));
            Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    private void acceptAll(ListenAddress listen, long clientLimit, Accepted onAccepted) {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                LOG.warn("export {}: accept failed: {}", listen, e.getMessage());
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                SocketBuffers.apply(channel, socketBufferBytes);
            } catch (IOException e) {
                LOG.warn("export {}: cannot set the socket buffers of a connection: {}", listen, e.getMessage());
            }
            String client = "unix client " + accepted.incrementAndGet();
            SelectorLoop home = connectionLoops.get();
            home.execute(() -> {
                // on the connection's loop: its driver stream, opened from here, joins it
                NioByteStream stream = new NioByteStream(home, channel, "export " + listen + " " + client, clientLimit);
                onAccepted.accept(stream.start(), client);
            });
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing {}", address, e);
        }
        if (ownLoop != null) {
            ownLoop.execute(ownLoop::close);
        }
        if (!address.isAbstract()) {
            try {
                Files.deleteIfExists(address.path());
            } catch (IOException e) {
                LOG.warn("export {}: cannot remove the socket file: {}", address, e.getMessage());
            }
        }
    }
}
