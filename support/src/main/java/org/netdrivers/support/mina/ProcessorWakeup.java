package org.netdrivers.support.mina;

import java.lang.reflect.Method;

import org.apache.mina.core.polling.AbstractPollingIoProcessor;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IoSession;

/**
 * Wakes the selector of the Mina processor that serves a session. Mina offers no public way:
 * {@code AbstractPollingIoProcessor.wakeup()} is protected, and the processor of a pooled session
 * is kept in a session attribute. Both are reached by reflection, once; where that fails the
 * caller falls back to a flush request.
 */
final class ProcessorWakeup {
    private static final Method WAKEUP = find();

    private ProcessorWakeup() {}

    private static Method find() {
        try {
            Method m = AbstractPollingIoProcessor.class.getDeclaredMethod("wakeup");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** @return whether the session's processor was woken */
    static boolean wake(IoSession session) {
        if (WAKEUP == null) {
            return false;
        }
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
        try {
            WAKEUP.invoke(processor);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
