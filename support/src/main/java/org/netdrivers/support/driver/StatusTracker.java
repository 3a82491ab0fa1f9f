package org.netdrivers.support.driver;

import org.netdrivers.support.stream.Completions;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;

/**
 * The service object a driver registers: its {@link ManagedDriver}, with every connect's outcome
 * followed (idle, connecting, up, failing with the last error), so that a broken device endpoint
 * shows in its service properties ({@code network.status}, {@code network.last_error}) without
 * anyone reading logs. The listener hears of state changes only.
 */
final class StatusTracker implements NetworkInterface {
    /** Hears that the state changed; it reads the state itself ({@link #status()}, {@link #lastError()}). */
    interface Listener {
        void changed();
    }

    private final ManagedDriver driver;
    private final Listener listener;
    private String status = NetworkConstants.STATUS_IDLE; // guarded by this
    private String lastError; // guarded by this
    private int connecting; // guarded by this

    StatusTracker(ManagedDriver driver, Listener listener) {
        this.driver = driver;
        this.listener = listener;
    }

    synchronized String status() {
        return status;
    }

    synchronized String lastError() {
        return lastError;
    }

    @Override
    public CompletionStage<ByteStream> connect() {
        boolean changed;
        synchronized (this) {
            connecting++;
            changed = !status.equals(NetworkConstants.STATUS_UP) && set(NetworkConstants.STATUS_CONNECTING, lastError);
        }
        if (changed) {
            listener.changed();
        }
        return driver.connect().whenComplete((stream, error) -> {
            boolean now;
            synchronized (this) {
                connecting--;
                if (error == null) {
                    now = set(NetworkConstants.STATUS_UP, null);
                } else {
                    Throwable cause = Completions.unwrap(error);
                    if (cause instanceof StreamClosedException) {
                        // the driver is going away: not the device's failure
                        now = connecting == 0 && status.equals(NetworkConstants.STATUS_CONNECTING)
                                && set(lastError == null ? NetworkConstants.STATUS_IDLE : NetworkConstants.STATUS_FAILING, lastError);
                    } else {
                        now = set(NetworkConstants.STATUS_FAILING, cause.getMessage() != null ? cause.getMessage() : cause.toString());
                    }
                }
            }
            if (now) {
                listener.changed(); // not under this lock: the listener changes service properties
            }
        });
    }

    /** Called with this lock held. @return whether anything changed */
    private boolean set(String newStatus, String newError) {
        if (newStatus.equals(status) && java.util.Objects.equals(newError, lastError)) {
            return false;
        }
        status = newStatus;
        lastError = newError;
        return true;
    }

    @Override
    public Optional<String> address() {
        return driver.address();
    }

    @Override
    public String describeAddress() {
        return driver.describeAddress();
    }

    @Override
    public String client() {
        return driver.client();
    }

    @Override
    public String toString() {
        return driver.toString();
    }
}
