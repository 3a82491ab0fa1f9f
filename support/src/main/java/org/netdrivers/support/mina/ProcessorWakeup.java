package org.netdrivers.support.mina;

import java.lang.reflect.Field;

import org.apache.mina.core.polling.AbstractPollingIoProcessor;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IoSession;

/**
 * Resumes reading a Mina session from a thread that is not its processor's.
 *
 * <p>{@code IoSession.resumeRead()} called from another thread rewrites the selection key's
 * interest set there, read and write interest both, racing with the processor's own changes: a
 * lost update can leave a session never reading again, or never writing again (rare hangs of a
 * bulk transfer both ways). It also does not wake the selector (since JDK 11 the change then waits
 * for Mina's 1 s select timeout). So the session's flag is cleared here and the processor is asked
 * ({@code AbstractPollingIoProcessor.updateTrafficMask}) to apply the interest on its own thread;
 * that call wakes it. Mina offers no public way to clear the flag alone, hence one reflective
 * field write; the processor of a pooled session is kept in a session attribute.
 */
final class ProcessorWakeup {
    private static final Field READ_SUSPENDED = find();

    private ProcessorWakeup() {}

    private static Field find() {
        try {
            Field f = AbstractIoSession.class.getDeclaredField("readSuspended");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Clears the session's read suspension and has {@code processor} (from {@link #processorOf})
     * apply it.
     *
     * @return false where that is not possible (the caller then uses {@code resumeRead()})
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static boolean resume(IoSession session, AbstractPollingIoProcessor processor) {
        if (READ_SUSPENDED == null || !(session instanceof AbstractIoSession)) {
            return false;
        }
        if (processor == null) {
            return false;
        }
        try {
            READ_SUSPENDED.setBoolean(session, false);
        } catch (IllegalAccessException | RuntimeException e) {
            return false;
        }
        processor.updateTrafficMask((AbstractIoSession) session);
        return true;
    }

    /** @return the processor that serves {@code session}, or null; it does not change for a session */
    @SuppressWarnings("rawtypes")
    static AbstractPollingIoProcessor processorOf(IoSession session) {
        if (!(session instanceof AbstractIoSession)) {
            return null;
        }
        Object processor = ((AbstractIoSession) session).getProcessor();
        if (processor instanceof AbstractPollingIoProcessor) {
            return (AbstractPollingIoProcessor) processor;
        }
        for (Object key : session.getAttributeKeys()) {
            Object value = session.getAttribute(key);
            if (value instanceof AbstractPollingIoProcessor) {
                return (AbstractPollingIoProcessor) value;
            }
        }
        return null;
    }
}
