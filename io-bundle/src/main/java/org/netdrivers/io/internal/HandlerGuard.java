package org.netdrivers.io.internal;

import org.netdrivers.io.EventCounter;

import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.filter.FilterEvent;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first filter of every session on the runtime's I/O threads: an {@link Error} from what
 * follows it (a bundle's handler, its connect listener) ends that session, not the thread.
 *
 * <p>Mina's processor loop survives exceptions but not errors: one error ended the thread and
 * left every session on it without service, for good. The error that happens in practice is a
 * {@link NoClassDefFoundError} from a driver bundle updated while one of its sessions was still
 * connecting: the old bundle's classes can no longer be loaded. Such a session is closed, and the
 * failures are counted and reported in one WARN line per 10 s at most. A {@link VirtualMachineError}
 * (out of memory) is not contained.
 */
final class HandlerGuard extends IoFilterAdapter {
    static final String NAME = "netdrivers-guard";
    private static final Logger LOG = LoggerFactory.getLogger(HandlerGuard.class);

    private final EventCounter failures = new EventCounter(10_000, true);

    private void guarded(IoSession session, String event, Runnable step) {
        try {
            step.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Error e) {
            contained(session, event, e);
        }
    }

    private void contained(IoSession session, String event, Error e) {
        session.closeNow();
        EventCounter.Due due = failures.count();
        if (due != null) {
            LOG.warn("{} session(s) closed in the last {} s because their handler failed with an error on an I/O thread "
                    + "(latest: {} of session {} of {}: {}{}); {} in all; the thread serves on", due.count(), due.seconds(),
                    event, session.getId(), session.getService().getClass().getSimpleName(), e,
                    e instanceof LinkageError ? " - its bundle was updated or uninstalled while the session was open" : "",
                    due.total());
        }
    }

    @Override
    public void sessionCreated(NextFilter next, IoSession session) {
        guarded(session, "sessionCreated", () -> next.sessionCreated(session));
    }

    @Override
    public void sessionOpened(NextFilter next, IoSession session) {
        guarded(session, "sessionOpened", () -> next.sessionOpened(session));
    }

    @Override
    public void sessionClosed(NextFilter next, IoSession session) {
        guarded(session, "sessionClosed", () -> next.sessionClosed(session));
    }

    @Override
    public void sessionIdle(NextFilter next, IoSession session, IdleStatus status) {
        guarded(session, "sessionIdle", () -> next.sessionIdle(session, status));
    }

    @Override
    public void exceptionCaught(NextFilter next, IoSession session, Throwable cause) {
        guarded(session, "exceptionCaught", () -> next.exceptionCaught(session, cause));
    }

    @Override
    public void inputClosed(NextFilter next, IoSession session) {
        guarded(session, "inputClosed", () -> next.inputClosed(session));
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) {
        guarded(session, "messageReceived", () -> next.messageReceived(session, message));
    }

    @Override
    public void messageSent(NextFilter next, IoSession session, WriteRequest request) {
        guarded(session, "messageSent", () -> next.messageSent(session, request));
    }

    @Override
    public void event(NextFilter next, IoSession session, FilterEvent event) {
        guarded(session, "event", () -> next.event(session, event));
    }
}
