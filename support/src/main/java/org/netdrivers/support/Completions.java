package org.netdrivers.support;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What a failed stage really failed with. */
public final class Completions {
    private Completions() {}

    /** The cause inside the CompletionException / ExecutionException wrappers of a completion stage. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
