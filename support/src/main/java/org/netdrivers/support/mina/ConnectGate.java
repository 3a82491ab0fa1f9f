package org.netdrivers.support.mina;

import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoConnector;
import org.apache.mina.core.session.IoSessionInitializer;

/**
 * Keeps connects out of a Mina connector that is being disposed. Mina 2.2 checks for a disposal
 * when a connect begins, but a connect that has begun makes its socket and starts the connection,
 * then queues its request for the connector's worker: when the disposal has ended that worker
 * meanwhile, the request is dropped (or its worker cannot be started), with the socket left open
 * (the connection completes and stays established) and, when dropped, its future never done. So
 * a connect holds this gate's read lock while it is in the connector, and {@link #close()} takes
 * the write lock: once it returns, every connect that began has queued its request (the worker
 * completes it: connected, failed or timed out), and no other one begins. Then the connector can
 * be disposed, at once or later.
 */
public final class ConnectGate {
    private final IoConnector connector;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    /** Guarded by {@link #lock}. */
    private boolean closed;

    public ConnectGate(IoConnector connector) {
        this.connector = connector;
    }

    /**
     * {@link IoConnector#connect(SocketAddress, IoSessionInitializer)}, unless the gate is closed.
     *
     * @return the connect's future; empty once {@link #close()} has begun
     * @throws RuntimeException what the connector throws (it was disposed without this gate)
     */
    public Optional<ConnectFuture> connect(SocketAddress target, IoSessionInitializer<? extends ConnectFuture> initializer) {
        return underReadLock(() -> closed ? Optional.empty() : Optional.of(connector.connect(target, initializer)));
    }

    /** @return whether {@link #close()} was called: no connect begins any more */
    public boolean isClosed() {
        return underReadLock(() -> closed);
    }

    private <T> T underReadLock(Supplier<T> action) {
        Lock read = lock.readLock();
        read.lock();
        try {
            return action.get();
        } finally {
            read.unlock();
        }
    }

    /** Lets no connect begin from now on, and returns once the connects under way are in the connector's hands. */
    public void close() {
        Lock write = lock.writeLock();
        write.lock();
        try {
            closed = true;
        } finally {
            write.unlock();
        }
    }
}
