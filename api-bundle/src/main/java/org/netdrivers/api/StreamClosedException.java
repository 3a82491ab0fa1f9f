package org.netdrivers.api;

import java.io.IOException;

/**
 * The stream was closed: by its user, by the peer resetting the connection, or because the
 * driver that opened it went away. The message says which and names the driver.
 */
public class StreamClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what closed the stream, naming the driver where known
     */
    public StreamClosedException(String message) {
        super(message);
    }

    /**
     * @param message what closed the stream, naming the driver where known
     * @param cause the transport failure that closed it
     */
    public StreamClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
