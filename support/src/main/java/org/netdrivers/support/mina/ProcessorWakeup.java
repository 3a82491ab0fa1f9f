package org.netdrivers.support.mina;

import org.apache.mina.core.polling.AbstractPollingIoProcessor;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IoSession;

/**
 * Has the Mina processor that serves a session re-apply the session's read/write interest on
 * its own thread, and wakes it.
 *
 * <p>Why: {@code IoSession.resumeRead()} called from another thread changes the selection key's
 * interest set with a read-modify-write that races with the processor's own changes for writing
 * (a lost update leaves the session never reading again: a rare hang under bulk traffic both
 * ways), and it does not wake the selector (since JDK 11 the change then waits for Mina's 1 s
 * select timeout). {@code AbstractPollingIoProcessor.updateTrafficMask} queues the update for the
 * processor's thread and wakes it. The processor of a pooled session is kept in a session
 * attribute, where it is looked up.
 */
final class ProcessorWakeup {
    private ProcessorWakeup() {}

    /** @return whether the session's processor was found and asked */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static boolean wake(IoSession session) {
        Object processor = session instanceof AbstractIoSession ? ((AbstractIoSession) session).getProcessor() : null;
        if (!(processor instanceof AbstractPollingIoProcessor)) {
            processor = null;
            for (Object key : session.getAttributeKeys()) {
                Object value = session.getAttribute(key);
                if (value instanceof AbstractPollingIoProcessor) {
                    processor = value;
                    break;
                }
            }
        }
        if (processor == null) {
            return false;
        }
        ((AbstractPollingIoProcessor) processor).updateTrafficMask((AbstractIoSession) session);
        return true;
    }
}
