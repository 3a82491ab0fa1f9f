package org.netdrivers.support.stream;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What a failed stage really failed with, and how to say it in one line. */
public final class Completions {
    private Completions() {}

    /** The cause inside the CompletionException / ExecutionException wrappers of a completion stage. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** @return {@code t}'s message, or the simple name of its type where it has none */
    public static String message(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /**
     * @return the message of {@code t} (unwrapped) and of its deepest cause, where that says more
     *         ("cannot bind: Address already in use")
     */
    public static String rootMessage(Throwable t) {
        Throwable e = unwrap(t);
        String message = message(e);
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message = message + ": " + root.getMessage();
        }
        return message;
    }
}
