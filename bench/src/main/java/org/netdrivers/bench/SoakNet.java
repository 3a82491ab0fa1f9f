package org.netdrivers.bench;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The soak's side of the network: the far end the runtime's TCP and Unix drivers reach (one NIO
 * echo server on a loopback port and a Unix socket), and the clients of the runtime's exports.
 * Every blocking operation of a client is bounded by a watchdog that closes its socket.
 */
final class SoakNet {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final int CONNECT_TIMEOUT_MS = 5_000;
    /** Longer than the registry's wait_ms (5 s): a connection that waits for a replacement driver is late, not failed. */
    static final int IO_TIMEOUT_MS = 15_000;

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-watchdog");
        t.setDaemon(true);
        return t;
    });

    private SoakNet() {}

    /** An export of the runtime the soak drives, with the driver and the bundle behind it. */
    record Target(String name, String kind, String bundle, int port, Path path) {
        boolean unix() {
            return path != null;
        }

        String where() {
            return unix() ? "unix:" + path : "tcp://127.0.0.1:" + port;
        }

        /** The driver's log lines say "KIND driver 'NAME' up:" and "... down:". */
        String driverLine(String event) {
            return kind + " driver '" + name + "' " + event + ":";
        }
    }

    /** What one connect/echo/close exchange came to; times are epoch ms (compared with the runtime's log). */
    record Outcome(Target target, long start, long end, boolean ok, boolean connectFailed, String error) {
    }

    /** A client connection to a TCP or Unix export: blocking I/O, no lock shared by reads and writes. */
    static final class Client implements Closeable {
        private final Socket socket;
        private final SocketChannel channel;
        private final InputStream in;
        private final OutputStream out;

        private Client(Socket socket, SocketChannel channel) throws IOException {
            this.socket = socket;
            this.channel = channel;
            this.in = socket != null ? socket.getInputStream() : null;
            this.out = socket != null ? socket.getOutputStream() : null;
        }

        static Client connect(Target t) throws IOException {
            if (t.unix()) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ScheduledFuture<?> dog = WATCHDOG.schedule(() -> quietClose(ch), CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                try {
                    ch.connect(UnixDomainSocketAddress.of(t.path()));
                } catch (IOException e) {
                    quietClose(ch);
                    throw e;
                } finally {
                    dog.cancel(false);
                }
                return new Client(null, ch);
            }
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(LOOPBACK, t.port()), CONNECT_TIMEOUT_MS);
                s.setTcpNoDelay(true);
                return new Client(s, null);
            } catch (IOException e) {
                quietClose(s);
                throw e;
            }
        }

        void write(byte[] b, int off, int len) throws IOException {
            if (socket != null) {
                out.write(b, off, len);
            } else {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
        }

        void write(byte[] b) throws IOException {
            write(b, 0, b.length);
        }

        /** Reads up to len bytes, fewer only at end of stream; -1 at once at end of stream. */
        int read(byte[] b, int off, int len) throws IOException {
            if (socket != null) {
                return in.read(b, off, len);
            }
            return channel.read(ByteBuffer.wrap(b, off, len));
        }

        /** Reads exactly {@code n} bytes unless the stream ends first; returns how many arrived. */
        int readFully(byte[] b, int n) throws IOException {
            int got = 0;
            while (got < n) {
                int r = read(b, got, n - got);
                if (r < 0) {
                    break;
                }
                got += r;
            }
            return got;
        }

        void shutdownOutput() throws IOException {
            if (socket != null) {
                socket.shutdownOutput();
            } else {
                channel.shutdownOutput();
            }
        }

        /** Closes with a TCP reset (SO_LINGER 0); a Unix socket has none and just closes. */
        void reset() {
            if (socket != null) {
                try {
                    socket.setSoLinger(true, 0);
                } catch (IOException e) {
                    // closed already
                }
            }
            close();
        }

        /** Runs {@code io} with a watchdog that closes this connection after {@code ms}. */
        <T> T bounded(long ms, IoCall<T> io) throws IOException {
            ScheduledFuture<?> dog = WATCHDOG.schedule(this::close, ms, TimeUnit.MILLISECONDS);
            try {
                return io.call();
            } finally {
                dog.cancel(false);
            }
        }

        @Override
        public void close() {
            quietClose(socket != null ? socket : channel);
        }
    }

    interface IoCall<T> {
        T call() throws IOException;
    }

    static void quietClose(Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** One cycle: connect, 64 random bytes out, the same 64 back, close. */
    static Outcome exchange(Target t) {
        long start = System.currentTimeMillis();
        byte[] payload = new byte[64];
        ThreadLocalRandom.current().nextBytes(payload);
        Client c;
        try {
            c = Client.connect(t);
        } catch (IOException e) {
            return new Outcome(t, start, System.currentTimeMillis(), false, true, "connect: " + e);
        }
        try (c) {
            byte[] back = new byte[64];
            int got = c.bounded(IO_TIMEOUT_MS, () -> {
                c.write(payload);
                return c.readFully(back, 64);
            });
            if (got == 64 && Arrays.equals(payload, back)) {
                return new Outcome(t, start, System.currentTimeMillis(), true, false, null);
            }
            return new Outcome(t, start, System.currentTimeMillis(), false, false,
                    got < 64 ? "echo: end of stream after " + got + " of 64 bytes" : "echo: bytes differ");
        } catch (IOException e) {
            return new Outcome(t, start, System.currentTimeMillis(), false, false, "echo: " + e);
        }
    }

    /** 64 bytes out and back on an open connection (an idle one that must still work). */
    static boolean echoOn(Client c) {
        byte[] payload = new byte[64];
        ThreadLocalRandom.current().nextBytes(payload);
        byte[] back = new byte[64];
        try {
            int got = c.bounded(IO_TIMEOUT_MS, () -> {
                c.write(payload);
                return c.readFully(back, 64);
            });
            return got == 64 && Arrays.equals(payload, back);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The far end of the soak's TCP and Unix drivers: one selector thread echoes every connection
     * of a loopback TCP port and of a Unix socket path until its end of stream (then closes), and
     * stops reading a connection while its echo waits to be written (backpressure, bounded memory).
     */
    static final class EchoServer implements AutoCloseable {
        private static final int BUFFER = 16 * 1024;
        private final Selector selector;
        private final ServerSocketChannel tcp;
        private final ServerSocketChannel unix;
        private final Thread thread;
        private final java.util.Map<SocketChannel, Conn> open = new java.util.concurrent.ConcurrentHashMap<>();

        EchoServer(Path unixPath) throws IOException {
            selector = Selector.open();
            tcp = ServerSocketChannel.open();
            tcp.bind(new InetSocketAddress(LOOPBACK, 0), 4096);
            unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            unix.bind(UnixDomainSocketAddress.of(unixPath), 4096);
            for (ServerSocketChannel s : new ServerSocketChannel[] {tcp, unix}) {
                s.configureBlocking(false);
                s.register(selector, SelectionKey.OP_ACCEPT);
            }
            thread = new Thread(this::run, "soak-echo-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return tcp.socket().getLocalPort();
        }

        private static final class Conn {
            final ByteBuffer buf = ByteBuffer.allocate(BUFFER); // fill mode
            final String from;
            final long since = System.nanoTime();
            volatile boolean eof;
            volatile long in;
            volatile long out;

            Conn(String from) {
                this.from = from;
            }
        }

        private void run() {
            while (selector.isOpen()) {
                try {
                    selector.select(1000);
                } catch (IOException | ClosedSelectorException e) {
                    return;
                }
                Iterator<SelectionKey> it;
                try {
                    it = selector.selectedKeys().iterator();
                } catch (ClosedSelectorException e) {
                    return;
                }
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    try {
                        if (!k.isValid()) {
                            continue;
                        }
                        if (k.isAcceptable()) {
                            SocketChannel c = ((ServerSocketChannel) k.channel()).accept();
                            if (c != null) {
                                Conn conn = new Conn((k.channel() == tcp ? "tcp from " : "unix from ") + c.getRemoteAddress());
                                open.put(c, conn);
                                c.configureBlocking(false);
                                c.register(selector, SelectionKey.OP_READ, conn);
                            }
                            continue;
                        }
                        serve(k);
                    } catch (IOException | RuntimeException e) {
                        k.cancel();
                        quietClose(k.channel());
                        open.remove(k.channel());
                    }
                }
            }
        }

        /** Connections open now (the far ends of the runtime's driver streams). */
        int openConnections() {
            return open.size();
        }

        /** One line per connection open now: its listener and peer, age, bytes echoed, state (for a failed check). */
        java.util.List<String> describeOpen() {
            long now = System.nanoTime();
            return open.values().stream()
                    .map(c -> String.format(java.util.Locale.ROOT, "%s: open %.1f s, %d bytes read, %d written, end of input %s",
                            c.from, (now - c.since) / 1e9, c.in, c.out, c.eof ? "read" : "not read"))
                    .toList();
        }

        private void serve(SelectionKey k) throws IOException {
            SocketChannel c = (SocketChannel) k.channel();
            Conn conn = (Conn) k.attachment();
            if (k.isReadable() && !conn.eof && conn.buf.hasRemaining()) {
                int n = c.read(conn.buf);
                if (n < 0) {
                    conn.eof = true;
                } else {
                    conn.in += n;
                }
            }
            conn.buf.flip();
            if (conn.buf.hasRemaining()) {
                conn.out += c.write(conn.buf);
            }
            conn.buf.compact();
            boolean pending = conn.buf.position() > 0;
            if (conn.eof && !pending) {
                k.cancel();
                c.close();
                open.remove(c);
                return;
            }
            int ops = (pending ? SelectionKey.OP_WRITE : 0) | (!conn.eof && conn.buf.hasRemaining() ? SelectionKey.OP_READ : 0);
            k.interestOps(ops);
        }

        @Override
        public void close() {
            quietClose(selector);
            quietClose(tcp);
            quietClose(unix);
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            open.keySet().forEach(SoakNet::quietClose);
        }
    }
}
