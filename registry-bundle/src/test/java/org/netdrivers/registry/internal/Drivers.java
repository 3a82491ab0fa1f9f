package org.netdrivers.registry.internal;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;

/**
 * Drivers as the registry's tables see them, without a framework: each registration is a
 * {@link ServiceView} over a map of properties, numbered as a framework numbers services
 * (service.id ascending). Stands in for the framework's service references, which the Felix
 * itests exercise for real; LDAP matching is the OSGi {@link Filter}'s own.
 */
final class Drivers implements AutoCloseable {
    /** How long a test waits for what it expects to happen. */
    static final long BOUND_MS = 10_000;

    /** Waits until {@code condition} holds; fails naming {@code what} if it does not within {@link #BOUND_MS}. */
    static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(BOUND_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + BOUND_MS + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    private final java.util.concurrent.atomic.AtomicLong ids = new java.util.concurrent.atomic.AtomicLong();

    /** Registers {@code driver} as a NetworkInterface named {@code name} with the given ranking and more properties. */
    Registered register(TestDriver driver, String name, int ranking, Object... more) {
        Map<String, Object> props = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        props.put(NetworkConstants.NETWORK_NAME, name);
        props.put(NetworkConstants.NETWORK_TYPE, "test");
        props.put(Constants.SERVICE_RANKING, ranking);
        props.put(Constants.SERVICE_ID, ids.incrementAndGet());
        props.put(Constants.OBJECTCLASS, new String[] {NetworkInterface.class.getName()});
        for (int i = 0; i < more.length; i += 2) {
            props.put((String) more[i], more[i + 1]);
        }
        return new Registered(new InMemoryService(props), driver);
    }

    record Registered(InMemoryService ref, TestDriver driver) {
    }

    /** A service's view over a map the test may change (as a driver's modified properties). */
    static final class InMemoryService implements ServiceView {
        private final Map<String, Object> props;

        InMemoryService(Map<String, Object> props) {
            this.props = java.util.Collections.synchronizedMap(props);
        }

        @Override
        public long id() {
            return (Long) props.get(Constants.SERVICE_ID);
        }

        @Override
        public Object property(String key) {
            return props.get(key);
        }

        @Override
        public Map<String, Object> properties() {
            synchronized (props) {
                Map<String, Object> copy = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                copy.putAll(props);
                return copy;
            }
        }

        void set(String key, Object value) {
            props.put(key, value);
        }

        @Override
        public String toString() {
            return "service " + id() + " " + property(NetworkConstants.NETWORK_NAME);
        }
    }

    @Override
    public void close() {
    }

    /**
     * A driver whose connects the test completes: each connect() waits in {@link #connects} until
     * the test calls {@link #completeNext} (or is completed at once when {@code immediate}).
     */
    static final class TestDriver implements NetworkInterface {
        final String label;
        final boolean immediate;
        final ConcurrentLinkedQueue<CompletableFuture<ByteStream>> connects = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<TestStream> opened = new ConcurrentLinkedQueue<>();

        TestDriver(String label, boolean immediate) {
            this.label = label;
            this.immediate = immediate;
        }

        @Override
        public CompletionStage<ByteStream> connect() {
            CompletableFuture<ByteStream> f = new CompletableFuture<>();
            if (immediate) {
                TestStream s = new TestStream(label);
                opened.add(s);
                f.complete(s);
            } else {
                connects.add(f);
            }
            return f;
        }

        /** Completes the oldest waiting connect with a new stream; @return that stream */
        TestStream completeNext() {
            TestStream s = new TestStream(label);
            opened.add(s);
            connects.remove().complete(s);
            return s;
        }

        @Override
        public Optional<String> address() {
            return Optional.of(label);
        }

        @Override
        public String client() {
            return "test";
        }
    }

    /**
     * A driver's stream in memory: it records what is sent to it, and the test gives its answers
     * ({@link #answer}); it records that it was closed.
     */
    static final class TestStream implements ByteStream {
        final String label;
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        final java.util.List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.ArrayDeque<ByteBuffer> answers = new java.util.ArrayDeque<>(); // guarded by this
        private CompletableFuture<Optional<ByteBuffer>> waiting; // guarded by this

        TestStream(String label) {
            this.label = label;
        }

        /** The driver's side says {@code text}: the next receive() gets it. */
        void answer(String text) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            CompletableFuture<Optional<ByteBuffer>> w;
            synchronized (this) {
                w = waiting;
                waiting = null;
                if (w == null) {
                    answers.add(b);
                    return;
                }
            }
            w.complete(Optional.of(b));
        }

        @Override
        public synchronized CompletionStage<Optional<ByteBuffer>> receive() {
            if (closed.isDone()) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            ByteBuffer b = answers.poll();
            if (b != null) {
                return CompletableFuture.completedFuture(Optional.of(b));
            }
            waiting = new CompletableFuture<>();
            return waiting;
        }

        /** A datagram whose send fails while the stream stays open. */
        volatile String refuse;

        /** While set, a send completes only when the test says ({@link #completeWrites}), as a socket's write does later. */
        volatile boolean holdWrites;
        private final java.util.ArrayDeque<CompletableFuture<Void>> heldWrites = new java.util.ArrayDeque<>(); // guarded by this

        /** Completes the held sends in order: written, or failed with {@code error} (null: written). */
        void completeWrites(Throwable error) {
            java.util.List<CompletableFuture<Void>> writes;
            synchronized (this) {
                writes = new java.util.ArrayList<>(heldWrites);
                heldWrites.clear();
            }
            for (CompletableFuture<Void> w : writes) {
                if (error == null) {
                    w.complete(null);
                } else {
                    w.completeExceptionally(error);
                }
            }
        }

        @Override
        public CompletionStage<Void> send(ByteBuffer chunk) {
            if (closed.isDone()) {
                return CompletableFuture.failedFuture(new org.netdrivers.api.StreamClosedException(label + ": closed"));
            }
            byte[] bytes = new byte[chunk.remaining()];
            chunk.get(bytes);
            String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
            if (text.equals(refuse)) { // as a UDP stream refuses a datagram too large for it, and goes on
                return CompletableFuture.failedFuture(new java.io.IOException(label + ": '" + text + "' is too large; not sent"));
            }
            sent.add(text);
            if (holdWrites) {
                CompletableFuture<Void> w = new CompletableFuture<>();
                synchronized (this) {
                    heldWrites.add(w);
                }
                return w;
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> sendEof() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            CompletableFuture<Optional<ByteBuffer>> w;
            synchronized (this) {
                w = waiting;
                waiting = null;
            }
            closed.complete(null);
            if (w != null) {
                w.complete(Optional.empty());
            }
        }

        @Override
        public CompletionStage<Void> closed() {
            return closed;
        }

        boolean isClosed() {
            return closed.isDone();
        }

        @Override
        public String toString() {
            return label;
        }
    }
}
