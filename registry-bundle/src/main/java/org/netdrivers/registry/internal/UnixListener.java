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
 * loop of its own. The socket is bound at its file's path, which is then given the configured
 * mode (0600 unless asked otherwise; see {@link #bindInPlace}); a stale file (nobody listening) is replaced; a live one is left alone and the
 * export fails; the file is removed on close.
 */
final class UnixListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(UnixListener.class);

    private final UnixAddress address;
    private final SelectorLoop ownLoop; // null where the runtime's loops serve
    private final Supplier<SelectorLoop> connectionLoops;
    private final ServerSocketChannel server;
    private final AtomicLong accepted = new AtomicLong();

    private final java.util.function.IntSupplier socketBufferBytes; // the registry's value as it is at each accept

    private UnixListener(UnixAddress address, SelectorLoop ownLoop, Supplier<SelectorLoop> connectionLoops,
            ServerSocketChannel server, java.util.function.IntSupplier socketBufferBytes) {
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
            java.util.List<SocketChannel> early = bindInPlace(server, address, listen.unixMode(), context.backlog(), listen);
            SelectorLoop acceptLoop;
            UnixListener l;
            if (address.isAbstract()) {
                own = new SelectorLoop("netdrivers-export-" + listen, address.selectorProvider());
                SelectorLoop only = own;
                acceptLoop = own;
                l = new UnixListener(address, own, () -> only, server, () -> 0);
            } else {
                acceptLoop = context.io().nextLoop();
                l = new UnixListener(address, null, context.io()::nextLoop, server, context::socketBufferBytes);
            }
            acceptLoop.execute(() -> {
                for (SocketChannel c : early) {
                    l.serve(c, listen, clientLimit, onAccepted);
                }
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
     * Binds and listens at the file's own path (so that {@code ss -lx} and {@code lsof} name it), then
     * gives the file its mode. Between the two the file has the mode the process's umask gives
     * (0755 under the usual 022: nobody else may connect, since connecting takes write
     * permission). Where that umask let someone write whom the configured mode does not, the
     * connections already waiting when the mode is set are checked by their peer's credentials
     * ({@link #refuseEarlyStrangers}).
     *
     * @return the connections the check let through, to be served first (empty in the usual case)
     */
    private static java.util.List<SocketChannel> bindInPlace(ServerSocketChannel server, UnixAddress address, String mode, int backlog,
            ListenAddress listen) throws IOException {
        server.bind(address.socketAddress(), backlog);
        if (address.isAbstract()) {
            return java.util.List.of();
        }
        Path file = address.path();
        java.util.Set<java.nio.file.attribute.PosixFilePermission> given = Files.getPosixFilePermissions(file);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> wanted = PosixFilePermissions.fromString(mode);
        Files.setPosixFilePermissions(file, wanted);
        boolean wider = (given.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                        && !wanted.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE))
                || (given.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)
                        && !wanted.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE));
        return wider ? refuseEarlyStrangers(server, file, listen) : java.util.List.of();
    }

    /**
     * The umask let others connect for an instant before the mode was set: of the connections
     * waiting now (any of them may have come in that instant), those of another user than the
     * socket file's owner (or root) are closed and named in one line; the others are kept.
     * Connections that come later passed the mode.
     */
    private static java.util.List<SocketChannel> refuseEarlyStrangers(ServerSocketChannel server, Path file, ListenAddress listen)
            throws IOException {
        String owner = Files.getOwner(file).getName();
        java.util.List<SocketChannel> kept = new java.util.ArrayList<>();
        int refused = 0;
        server.configureBlocking(false);
        for (int i = 0; i < 100_000; i++) {
            SocketChannel c = server.accept();
            if (c == null) {
                break;
            }
            String peer;
            try {
                peer = c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
            } catch (IOException | UnsupportedOperationException e) {
                peer = "?";
            }
            if (peer.equals(owner) || peer.equals("root")) {
                kept.add(c);
            } else {
                refused++;
                c.close();
            }
        }
        if (refused > 0) {
            LOG.warn("export {}: closed {} connection(s) of other users made before the socket file had its mode"
                    + " (the process's umask allowed them for an instant)", listen, refused);
        }
        return kept;
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
            serve(channel, listen, clientLimit, onAccepted);
        }
    }

    private void serve(SocketChannel channel, ListenAddress listen, long clientLimit, Accepted onAccepted) {
        try {
            SocketBuffers.apply(channel, socketBufferBytes.getAsInt());
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
