package org.netdrivers.io;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/** Two sessions spliced by {@link IoThreads#relay}. */
@ProviderType
public interface Relay {
    /** @return completes when both sessions are closed: with null, or with the first failure */
    CompletionStage<Throwable> done();

    /** @return the most bytes read from one side and not yet written to the other, at any time */
    long peakInFlight();
}
