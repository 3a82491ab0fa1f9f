package org.netdrivers.itests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import org.netdrivers.api.ByteStream;

/** Deterministic pseudo-random payloads and their SHA-256, streamed without holding them in memory. */
final class Payload {
    /** Blocking test work gets threads of its own, never the (tiny, on 2 cores) common pool. */
    static final java.util.concurrent.ExecutorService THREADS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-payload");
        t.setDaemon(true);
        return t;
    });

    private Payload() {}

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }

    /** Fills {@code chunk} with the next pseudo-random bytes of {@code random}. */
    static void fill(SplittableRandom random, byte[] chunk) {
        for (int i = 0; i < chunk.length; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < chunk.length; j++) {
                chunk[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }

    /** Writes {@code total} bytes of seed's stream to {@code out}; returns their SHA-256. */
    static String write(OutputStream out, long seed, long total) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        MessageDigest d = sha256();
        byte[] chunk = new byte[64 * 1024];
        for (long sent = 0; sent < total; ) {
            fill(random, chunk);
            int n = (int) Math.min(chunk.length, total - sent);
            out.write(chunk, 0, n);
            d.update(chunk, 0, n);
            sent += n;
        }
        out.flush();
        return hex(d);
    }

    /**
     * A stream over a blocking channel that does not lock reads against writes (those of
     * {@code Channels.newInputStream} hold the channel's blocking lock while a read waits, so that
     * a writer on another thread waits too).
     */
    static InputStream in(java.nio.channels.SocketChannel channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : channel.read(java.nio.ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** The writing side of {@link #in}. */
    static OutputStream out(java.nio.channels.SocketChannel channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
        };
    }

    /** Reads to EOF; returns the count and SHA-256 as "count:sha". */
    static String read(InputStream in) throws IOException {
        MessageDigest d = sha256();
        byte[] buf = new byte[64 * 1024];
        long count = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            d.update(buf, 0, n);
            count += n;
        }
        return count + ":" + hex(d);
    }

    /** Sends {@code total} bytes of seed's stream through {@code stream}, each send awaited, then EOF. */
    static CompletableFuture<String> send(ByteStream stream, long seed, long total) {
        return CompletableFuture.supplyAsync(() -> {
            SplittableRandom random = new SplittableRandom(seed);
            MessageDigest d = sha256();
            for (long sent = 0; sent < total; ) {
                byte[] chunk = new byte[(int) Math.min(64 * 1024, total - sent)];
                fill(random, chunk);
                d.update(chunk);
                stream.send(ByteBuffer.wrap(chunk)).toCompletableFuture().join();
                sent += chunk.length;
            }
            stream.sendEof().toCompletableFuture().join();
            return total + ":" + hex(d);
        }, THREADS);
    }

    /** Receives to end of stream; "count:sha". */
    static CompletableFuture<String> receive(ByteStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            MessageDigest d = sha256();
            long count = 0;
            while (true) {
                Optional<ByteBuffer> chunk = stream.receive().toCompletableFuture().join();
                if (chunk.isEmpty()) {
                    return count + ":" + hex(d);
                }
                count += chunk.get().remaining();
                d.update(chunk.get());
            }
        }, THREADS);
    }

    /** "count:sha" of {@code total} bytes of seed's stream. */
    static String expected(long seed, long total) {
        SplittableRandom random = new SplittableRandom(seed);
        MessageDigest d = sha256();
        byte[] chunk = new byte[64 * 1024];
        for (long done = 0; done < total; ) {
            fill(random, chunk);
            int n = (int) Math.min(chunk.length, total - done);
            d.update(chunk, 0, n);
            done += n;
        }
        return total + ":" + hex(d);
    }
}
