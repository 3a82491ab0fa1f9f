package org.netdrivers.support.stream;

import org.netdrivers.api.StreamClosedException;

/** A stream closed because no byte went either way for its idle time (an export's idle_timeout_s). */
public final class IdleTimeoutException extends StreamClosedException {
    private static final long serialVersionUID = 1L;

    public IdleTimeoutException(String message) {
        super(message);
    }
}
