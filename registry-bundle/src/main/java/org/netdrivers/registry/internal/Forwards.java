package org.netdrivers.registry.internal;

import org.netdrivers.support.net.ListenAddress;

/** The registry's side of forward configurations; a service private to this bundle. */
interface Forwards {
    /** @return null when listening, else the problem (already logged) */
    String addForward(String pid, ListenAddress listen, Target target);

    void removeForward(String pid, String why);
}
