package org.netdrivers.itests.peers;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A WebSocket echo server (Eclipse Jetty), run as its own process by the tests: binary and text
 * messages come back as they are, except binary messages that are commands:
 * {@code cmd:describe} (answers, as text, the Authorization and X-Test headers and the
 * subprotocol it accepted), {@code cmd:text:WORDS} (answers WORDS as a text message),
 * {@code cmd:bigtext:N} (a text message of N times "é✓-"), {@code cmd:flood:COUNT:SIZE} (COUNT
 * binary messages of SIZE bytes, each filled with its index, as fast as the client takes them;
 * prints {@code SENT n} every 16 messages) and
 * {@code cmd:close} (closes the connection from the server's side, status 1000). On path
 * {@code /silent}, a server that goes silent after the first message: it reads nothing more of the
 * connection, which stays open, and so answers no Ping. Listens on
 * 127.0.0.1, prints {@code PORT n}, and stops when its standard input closes.
 *
 * <p>Arguments: {@code [--tls KEYSTORE.p12 PASSWORD]}.
 */
public final class WebSocketEchoPeer {
    public static void main(String[] args) throws Exception {
        Server server = new Server();
        ServerConnector connector;
        if (args.length == 3 && args[0].equals("--tls")) {
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStorePath(args[1]);
            tls.setKeyStorePassword(args[2]);
            tls.setKeyStoreType("PKCS12");
            connector = new ServerConnector(server, tls);
        } else {
            connector = new ServerConnector(server);
        }
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxBinaryMessageSize(8 << 20);
            container.setMaxTextMessageSize(8 << 20);
            container.setIdleTimeout(Duration.ofMinutes(5));
            container.addMapping("/echo", (request, response, callback) -> {
                List<String> offered = request.getSubProtocols();
                if (!offered.isEmpty()) {
                    response.setAcceptedSubProtocol(offered.get(0));
                }
                String description = "authorization=" + request.getHeaders().get("Authorization")
                        + ";x-test=" + request.getHeaders().get("X-Test")
                        + ";subprotocol=" + (offered.isEmpty() ? "none" : offered.get(0));
                return new Echo(description);
            });
            container.addMapping("/silent", (request, response, callback) -> new Silent());
        }));
        server.start();
        System.out.println("PORT " + connector.getLocalPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until the test closes our input
        }
        server.stop();
    }

    /**
     * A connection that asks Jetty for frames itself (no auto-demand) and stops asking after the
     * first message: Jetty then reads nothing more of it, Pings included, as a server that hangs.
     */
    public static final class Silent implements Session.Listener {
        @Override
        public void onWebSocketOpen(Session s) {
            s.demand();
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            callback.succeed(); // and no demand: silence from here on
        }
    }

    /** One connection. */
    public static final class Echo implements Session.Listener.AutoDemanding {
        private final String description;
        private Session session;

        Echo(String description) {
            this.description = description;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            String command = copy.remaining() < 64 ? java.nio.charset.StandardCharsets.UTF_8.decode(copy.duplicate()).toString() : "";
            if (!command.startsWith("cmd:")) {
                // the next frame (maybe the client's Close) only once this echo is written: echoes keep their order
                session.sendBinary(copy, Callback.from(callback::succeed, callback::fail));
                return;
            }
            callback.succeed();
            if (command.equals("cmd:describe")) {
                session.sendText(description, Callback.NOOP);
            } else if (command.startsWith("cmd:text:")) {
                session.sendText(command.substring("cmd:text:".length()), Callback.NOOP);
            } else if (command.startsWith("cmd:bigtext:")) {
                session.sendText("é✓-".repeat(Integer.parseInt(command.substring("cmd:bigtext:".length()))), Callback.NOOP);
            } else if (command.startsWith("cmd:flood:")) {
                String[] parts = command.split(":");
                int count = Integer.parseInt(parts[2]);
                int size = Integer.parseInt(parts[3]);
                Thread flood = new Thread(() -> flood(count, size), "flood");
                flood.setDaemon(true);
                flood.start();
            } else if (command.equals("cmd:close")) {
                session.close(1000, "closed by the server", Callback.NOOP);
            }
        }

        /** Sends each message when Jetty has written the one before: the client's pace sets ours. */
        private void flood(int count, int size) {
            try {
                for (int i = 0; i < count; i++) {
                    byte[] message = new byte[size];
                    java.util.Arrays.fill(message, (byte) i);
                    Callback.Completable sent = new Callback.Completable();
                    session.sendBinary(ByteBuffer.wrap(message), sent);
                    sent.get(5, java.util.concurrent.TimeUnit.MINUTES);
                    if ((i + 1) % 16 == 0 || i + 1 == count) {
                        System.out.println("SENT " + (i + 1));
                    }
                }
            } catch (Exception e) {
                System.err.println("flood stopped: " + e);
            }
        }

        @Override
        public void onWebSocketText(String text) {
            session.sendText(text, Callback.NOOP);
        }
    }
}
