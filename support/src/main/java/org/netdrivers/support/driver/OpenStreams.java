package org.netdrivers.support.driver;

import org.netdrivers.support.stream.ReasonClosable;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.netdrivers.api.ByteStream;
import org.netdrivers.api.StreamClosedException;

/** The streams a driver opened and has not seen closed, so that it can close them when it goes away. */
public final class OpenStreams {
    private final Set<ByteStream> streams = ConcurrentHashMap.newKeySet();
    private volatile StreamClosedException shutdown;

    /** Tracks {@code stream} until it closes; closes it at once if {@link #closeAll} already ran. */
    public <S extends ByteStream & ReasonClosable> S track(S stream) {
        streams.add(stream);
        stream.closed().whenComplete((v, e) -> streams.remove(stream));
        StreamClosedException reason = shutdown;
        if (reason != null) {
            stream.close(reason);
        }
        return stream;
    }

    /**
     * Refuses new streams from now on (their connect fails with {@code reason}; one that was
     * connecting is closed when it arrives), while the open ones go on until {@link #closeAll}.
     */
    public void refuseNew(StreamClosedException reason) {
        if (shutdown == null) {
            shutdown = reason;
        }
    }

    /** @return the reason given to {@link #refuseNew} or {@link #closeAll}, or null while open */
    public StreamClosedException shutdownReason() {
        return shutdown;
    }

    /** @return the number of streams open now */
    public int size() {
        return streams.size();
    }

    /** Closes every stream with {@code reason}; later {@link #track} calls close theirs at once. */
    public void closeAll(StreamClosedException reason) {
        shutdown = reason;
        List<ByteStream> copy = new ArrayList<>(streams);
        for (ByteStream s : copy) {
            ((ReasonClosable) s).close(reason);
        }
    }
}
