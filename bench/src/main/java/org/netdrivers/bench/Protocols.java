package org.netdrivers.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.Peer;

/** The WebSocket and D-Bus parts of the benchmark: a Jetty echo server, a JDK WebSocket client, a dbus-daemon, dbus-java. */
final class Protocols {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Protocols() {}

    /** A WebSocket echo server (Jetty) on 127.0.0.1, path /echo. */
    static final class WsEcho implements AutoCloseable {
        private final Server server = new Server();
        private final ServerConnector connector = new ServerConnector(server);

        WsEcho() throws Exception {
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            server.setHandler(WebSocketUpgradeHandler.from(server, container -> container.addMapping("/echo",
                    (request, response, callback) -> new Echo())));
            server.start();
        }

        int port() {
            return connector.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }

    /** One echo connection (Jetty needs a public endpoint class). */
    public static final class Echo implements Session.Listener.AutoDemanding {
        private Session session;

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback done) {
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            session.sendBinary(copy, Callback.from(done::succeed, done::fail));
        }
    }

    /** A JDK WebSocket client straight to the server: each received message is put on a queue. */
    private static final class Direct implements WebSocket.Listener {
        final LinkedBlockingQueue<Integer> received = new LinkedBlockingQueue<>();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            if (last) {
                received.add(data.remaining());
            }
            ws.request(1);
            return null;
        }
    }

    private static WebSocket open(int port, Direct listener) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/echo"), listener).get(10, TimeUnit.SECONDS);
    }

    /** 64-byte message round trips straight to the server (JDK client), sorted, in ns. */
    static long[] wsDirectLatency(int port, int count) throws Exception {
        Direct listener = new Direct();
        WebSocket ws = open(port, listener);
        long[] times = new long[count];
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            ws.sendBinary(ByteBuffer.allocate(64), true).get(10, TimeUnit.SECONDS);
            if (listener.received.poll(10, TimeUnit.SECONDS) == null) {
                throw new IOException("no echo");
            }
            times[i] = System.nanoTime() - t0;
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        Arrays.sort(times);
        return times;
    }

    /** 64-byte messages per second straight to the server, 16 in flight. */
    static double wsDirectRate(int port, long seconds) throws Exception {
        Direct listener = new Direct();
        WebSocket ws = open(port, listener);
        CompletableFuture<WebSocket> last = CompletableFuture.completedFuture(ws);
        for (int i = 0; i < 16; i++) {
            last = ws.sendBinary(ByteBuffer.allocate(64), true);
            last.get(10, TimeUnit.SECONDS);
        }
        long n = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long t0 = System.nanoTime();
        while (System.nanoTime() < end) {
            if (listener.received.poll(10, TimeUnit.SECONDS) == null) {
                throw new IOException("no echo");
            }
            n++;
            ws.sendBinary(ByteBuffer.allocate(64), true).get(10, TimeUnit.SECONDS);
        }
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "");
        return rate;
    }

    /** 64-byte request/responses per second through a TCP export, 16 in flight (each write one message to the driver). */
    static double tcpRate(int port, long seconds) throws IOException {
        try (Socket s = new Socket(LOOPBACK, port)) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] msg = new byte[64];
            for (int i = 0; i < 16; i++) {
                out.write(msg);
            }
            long n = 0;
            byte[] back = new byte[64];
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long t0 = System.nanoTime();
            while (System.nanoTime() < end) {
                if (in.readNBytes(back, 0, 64) < 64) {
                    throw new IOException("echo closed");
                }
                n++;
                out.write(msg);
            }
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            s.shutdownOutput();
            in.readAllBytes(); // the 16 still in flight, then the end: a clean close on both sides
            return rate;
        }
    }

    static boolean dbusInstalled() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "dbus-daemon"))) {
                return true;
            }
        }
        return false;
    }

    /** Starts dbus-daemon listening on {@code socket} (EXTERNAL authentication only); returns the process once it listens. */
    static Process dbusDaemon(Path dir, Path socket) throws Exception {
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, String.join("\n",
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"",
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">",
                "<busconfig><type>session</type><listen>unix:path=" + socket + "</listen><auth>EXTERNAL</auth>",
                "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>",
                "</busconfig>", ""));
        Process p = new ProcessBuilder("dbus-daemon", "--config-file=" + config, "--nofork", "--nopidfile", "--print-address=1")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        if (out.readLine() == null) {
            throw new IOException("dbus-daemon did not start");
        }
        return p;
    }

    /** org.freedesktop.DBus.Peer.Ping round trips to the bus daemon (dbus-java), sorted, in ns. */
    static long[] pings(String address, int count) throws Exception {
        try (DBusConnection connection = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
            Peer peer = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", Peer.class);
            for (int i = 0; i < Math.min(200, count); i++) {
                peer.Ping(); // warm up
            }
            long[] times = new long[count];
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                peer.Ping();
                times[i] = System.nanoTime() - t0;
            }
            Arrays.sort(times);
            return times;
        }
    }
}
