package org.netdrivers.registry.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers registry",
        description = "Finds every network driver, opens streams to them and runs the exports.")
@interface RegistryConfig {
    @AttributeDefinition(name = "Wait for a driver (ms)", min = "0", max = "3600000",
            description = "How long a connection to an export waits for a matching driver while none is registered (during a hot swap).")
    int wait__ms() default 5000;

    @AttributeDefinition(name = "UDP session idle timeout (s)", min = "1", max = "86400",
            description = "A client session of a UDP export ends after this long without a datagram either way.")
    int udp__idle__timeout__s() default 60;

    @AttributeDefinition(name = "UDP sessions per export", min = "1", max = "1000000",
            description = "Bound on live client sessions (distinct client addresses) of one UDP export; a new client beyond it is refused, with a log line.")
    int udp__max__sessions() default 1024;

    /** The least is the bridge's window and chunk plus four chunks for the client's stream. */
    @AttributeDefinition(name = "Buffer bytes per direction", min = "1048576", max = "1073741824",
            description = "Bound on the bytes an export holds in flight for each direction of one connection.")
    int buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Socket buffer bytes", min = "0", max = "67108864",
            description = "SO_SNDBUF and SO_RCVBUF of every connection a TCP export or a Unix export (path) accepts, 4096..67108864; 0 for the system's default.")
    int socket__buffer__bytes() default 0;

    @AttributeDefinition(name = "UDP socket buffer bytes", min = "0", max = "67108864",
            description = "SO_SNDBUF and SO_RCVBUF of a UDP export's socket, which all its clients share, 4096..67108864 (Linux"
                    + " caps them at net.core.wmem_max and rmem_max); 0 for the system's default.")
    int udp__socket__buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Connections per export", min = "1", max = "1000000",
            description = "Bound on open connections of one TCP or Unix export; a client beyond it is closed at once, counted,"
                    + " and said in one WARN line per 10 s at most.")
    int max__connections() default 16384;

    @AttributeDefinition(name = "Plain exports off loopback",
            description = "Whether an export or forward may listen on an address other machines can reach (not 127.0.0.0/8"
                    + " or ::1) in plain text, with no authentication; false refuses it with a WARN line, true allows it with"
                    + " a WARN line at every start.")
    boolean insecure__exports() default false;

    @AttributeDefinition(name = "TLS key store", required = false,
            description = "tls:// exports: a PKCS12 file with this runtime's private key and certificate chain, shown to clients.")
    String tls__key__store() default "";

    @AttributeDefinition(name = "TLS key store password", required = false, type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
            description = "The key store's password (also the key's).")
    String tls__key__store__password() default "";

    @AttributeDefinition(name = "TLS trust store", required = false,
            description = "tls:// exports: a PKCS12 file with the certificates client certificates must chain to (mutual TLS:"
                    + " a client without a trusted certificate is refused).")
    String tls__trust__store() default "";

    @AttributeDefinition(name = "TLS trust store password", required = false, type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
            description = "The trust store's password, if it has one.")
    String tls__trust__store__password() default "";

    @AttributeDefinition(name = "TLS allowed clients", required = false, cardinality = 100,
            description = "tls:// exports: when set, only clients whose certificate subject is one of these distinguished names"
                    + " (such as CN=bench-17,O=lab) are served; others are refused after the handshake. In a .cfg file, one"
                    + " string with the names separated by ';' (a distinguished name holds commas).")
    @org.netdrivers.support.driver.ConfigReader.ListSeparator(";")
    String[] tls__allow() default {};

    @AttributeDefinition(name = "Idle timeout (s)", min = "0", max = "604800",
            description = "A TCP, TLS or Unix export's connection with no byte either way for this long is closed (counted, and"
                    + " said in the export's summary line; a Unix export checks once a second); 0: never (an idle ssh session stays).")
    int idle__timeout__s() default 0;

    @AttributeDefinition(name = "Listen backlog", min = "1", max = "65535",
            description = "Connections the kernel queues for a TCP or Unix export before it accepts them (the kernel caps it at"
                    + " net.core.somaxconn); a burst of connects beyond it waits for a retransmit (TCP) or is refused (Unix).")
    int backlog() default 1024;

    @AttributeDefinition(name = "TCP keepalive",
            description = "Probe a TCP or TLS export's connection that carried nothing for a while, so that a client whose machine or"
                    + " network went away (no FIN ever comes) is closed, with its device connection, instead of holding them for"
                    + " ever: SO_KEEPALIVE with the three timings below, set on each new connection. An idle client that is"
                    + " there answers the probes and stays.")
    boolean keepalive() default true;

    @AttributeDefinition(name = "Keepalive idle (s)", min = "1", max = "32767",
            description = "With keepalive: seconds without a byte either way before the first probe (TCP_KEEPIDLE).")
    int keepalive__idle__s() default org.netdrivers.support.net.KeepAlive.IDLE_S;

    @AttributeDefinition(name = "Keepalive interval (s)", min = "1", max = "32767",
            description = "With keepalive: seconds between unanswered probes (TCP_KEEPINTVL).")
    int keepalive__interval__s() default org.netdrivers.support.net.KeepAlive.INTERVAL_S;

    @AttributeDefinition(name = "Keepalive probes", min = "1", max = "127",
            description = "With keepalive: unanswered probes after which the connection is closed (TCP_KEEPCNT).")
    int keepalive__count() default org.netdrivers.support.net.KeepAlive.COUNT;
}
