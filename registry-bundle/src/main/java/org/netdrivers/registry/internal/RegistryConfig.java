package org.netdrivers.registry.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers registry",
        description = "Finds every network driver, opens streams to them and runs the exports.")
@interface RegistryConfig {
    String WAIT_MS = "wait_ms";
    String BUFFER_BYTES = "buffer_bytes";
    int DEFAULT_WAIT_MS = 5000;
    String UDP_IDLE_TIMEOUT_S = "udp_idle_timeout_s";
    String UDP_MAX_SESSIONS = "udp_max_sessions";
    int DEFAULT_UDP_IDLE_TIMEOUT_S = 60;
    int DEFAULT_UDP_MAX_SESSIONS = 1024;
    int DEFAULT_BUFFER_BYTES = 1024 * 1024;
    /** The bridge's window and chunk plus four chunks for the client's stream. */
    int MIN_BUFFER_BYTES = 1024 * 1024;

    @AttributeDefinition(name = "Wait for a driver (ms)", min = "0",
            description = "How long a connection to an export waits for a matching driver while none is registered (during a hot swap).")
    int wait__ms() default DEFAULT_WAIT_MS;

    @AttributeDefinition(name = "UDP session idle timeout (s)", min = "1",
            description = "A client session of a UDP export ends after this long without a datagram either way.")
    int udp__idle__timeout__s() default DEFAULT_UDP_IDLE_TIMEOUT_S;

    @AttributeDefinition(name = "UDP sessions per export", min = "1",
            description = "Bound on live client sessions (distinct client addresses) of one UDP export; a new client beyond it is refused, with a log line.")
    int udp__max__sessions() default DEFAULT_UDP_MAX_SESSIONS;

    @AttributeDefinition(name = "Buffer bytes per direction", min = "1048576",
            description = "Bound on the bytes an export holds in flight for each direction of one connection.")
    int buffer__bytes() default DEFAULT_BUFFER_BYTES;

    @AttributeDefinition(name = "Socket buffer bytes", min = "0", max = "67108864",
            description = "SO_SNDBUF and SO_RCVBUF of every connection a TCP export or a Unix export (path) accepts, 4096..67108864; 0 for the system's default.")
    int socket__buffer__bytes() default 0;
}
