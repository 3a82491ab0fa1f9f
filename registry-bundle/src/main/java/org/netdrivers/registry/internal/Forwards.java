package org.netdrivers.registry.internal;

import org.netdrivers.support.net.ListenAddress;

/** The registry's side of forward configurations; a service private to this bundle. */
interface Forwards {
    /**
     * @param tlsAllow the client subjects a tls:// forward serves (normalised), or null for the registry's tls_allow
     * @return null when listening, else the problem (already logged)
     */
    String addForward(String pid, ListenAddress listen, Target target, java.util.Set<String> tlsAllow);

    void removeForward(String pid, String why);

    /**
     * @return completed with the export's snapshot once an export on {@code listen} has tried to
     *         listen (listening, or not with its error); a caller that stops waiting cancels it
     */
    java.util.concurrent.CompletableFuture<org.netdrivers.api.StreamRegistry.Export> whenStarted(ListenAddress listen);
}
