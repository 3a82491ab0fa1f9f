package org.netdrivers.io;

import org.apache.mina.core.session.IoSession;
import org.osgi.annotation.versioning.ConsumerType;

/** A {@link TransportStream} whose transport is one Mina session of {@link IoThreads#processor()} (TCP). */
@ConsumerType
public interface SessionStream extends TransportStream {
    /** @return the stream's session */
    IoSession session();
}
