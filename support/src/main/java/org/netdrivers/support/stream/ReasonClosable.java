package org.netdrivers.support.stream;

import org.netdrivers.api.StreamClosedException;

/** A stream that can be closed for its user with a reason, as when its driver goes away. */
public interface ReasonClosable {
    /** Closes the stream; pending and later stages fail with {@code reason}. Idempotent. */
    void close(StreamClosedException reason);
}
