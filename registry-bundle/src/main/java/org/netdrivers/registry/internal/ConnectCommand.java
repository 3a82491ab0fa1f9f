package org.netdrivers.registry.internal;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandSession;
import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code network:connect NAME}: the shell's terminal bridged to a new stream of an endpoint, as
 * {@code nc} does: what is typed (or piped in) is sent, what arrives is printed, until the input
 * ends and the endpoint has answered (or the endpoint ends the stream). Apart from the other
 * commands because it needs the shell's session (an optional import).
 */
@Component(service = ConnectCommand.class, property = {
        "osgi.command.scope=network",
        "osgi.command.function=connect"})
public final class ConnectCommand {
    /** How long the answer may take once the input ended, before the stream is closed. */
    static final long DRAIN_MS = 10_000;

    private final StreamRegistry registry;

    @Activate
    public ConnectCommand(@Reference StreamRegistry registry) {
        this.registry = registry;
    }

    /** Prints its summary on the session's console, as the other commands print theirs. */
    public void connect(CommandSession session, String name) throws Exception {
        session.getConsole().println(connectText(session, name));
    }

    private String connectText(CommandSession session, String name) throws Exception {
        InputStream in = session.getKeyboard();
        PrintStream out = session.getConsole();
        ByteStream stream;
        try {
            stream = registry.open(name).toCompletableFuture().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot connect to '" + name + "': "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
        CompletableFuture<Long> received = new CompletableFuture<>();
        receive(stream, out, 0, received);
        long sent = 0;
        try {
            byte[] buf = new byte[16 * 1024];
            for (int n; !received.isDone() && (n = in.read(buf)) >= 0; ) {
                if (n > 0) {
                    stream.send(ByteBuffer.wrap(Arrays.copyOf(buf, n))).toCompletableFuture().get();
                    sent += n;
                }
            }
            if (!received.isDone()) {
                stream.sendEof().toCompletableFuture().get();
            }
            long got = received.get(DRAIN_MS, TimeUnit.MILLISECONDS);
            return "connection to '" + name + "' ended: " + sent + " bytes sent, " + got + " received";
        } catch (java.util.concurrent.TimeoutException e) {
            return "connection to '" + name + "' closed " + DRAIN_MS / 1000 + " s after the input ended: " + sent + " bytes sent";
        } finally {
            stream.close();
            out.flush();
        }
    }

    private static void receive(ByteStream stream, PrintStream out, long total, CompletableFuture<Long> done) {
        stream.receive().whenComplete((chunk, error) -> {
            if (error != null) {
                done.completeExceptionally(error);
                return;
            }
            Optional<ByteBuffer> c = chunk;
            if (c.isEmpty()) {
                out.flush();
                done.complete(total);
                return;
            }
            ByteBuffer b = c.get();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.write(bytes, 0, bytes.length);
            out.flush();
            receive(stream, out, total + bytes.length, done);
        });
    }
}
