package org.netdrivers.support.stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import org.junit.Test;

/** One line for a failure: unwrapped, its message or its type, and the root cause where it adds something. */
public class CompletionsTest {
    @Test
    public void unwrapTakesOffTheStagesWrappers() {
        IOException io = new IOException("refused");
        assertSame(io, Completions.unwrap(new CompletionException(new ExecutionException(io))));
        assertSame(io, Completions.unwrap(io));
    }

    @Test
    public void aFailureWithoutMessageIsNamedByItsType() {
        assertEquals("NullPointerException", Completions.message(new NullPointerException()));
        assertEquals("refused", Completions.message(new IOException("refused")));
    }

    @Test
    public void theRootCauseIsAddedWhereItSaysMore() {
        IOException e = new IOException("cannot bind", new BindException("Address already in use"));
        assertEquals("cannot bind: Address already in use", Completions.rootMessage(new CompletionException(e)));
    }

    @Test
    public void theRootCauseIsNotRepeatedWhereTheMessageHasItAlready() {
        BindException root = new BindException("Address already in use");
        IOException e = new IOException("java.net.BindException: Address already in use", root);
        assertEquals("java.net.BindException: Address already in use", Completions.rootMessage(e));
    }
}
