package org.netdrivers.tcp.internal;

import org.netdrivers.support.net.KeepAlive;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers TCP driver",
        description = "A TCP port of a device: every stream is a new TCP connection to host:port.")
@interface TcpConfig {
    String HOST = "host";

    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "Host",
            description = "Host name or IP address; IPv6 bare or in brackets, a link-local zone as fe80::1%eth0. A name that does not resolve yet is looked up again (after 1, 2, 4, 8, 16 s, then every 30 s) and the driver registers once it does; after that, a connect looks the name up again once the last answer is as old as the JVM keeps answers (networkaddress.cache.ttl, 30 s by default), and new streams follow it.")
    String host();

    @AttributeDefinition(name = "Port", min = "1", max = "65535", description = "TCP port, 1..65535.")
    int port();

    @AttributeDefinition(name = "Enable address",
            description = "Whether the endpoint reports its address (network.address); as Jumpstarter's enable_address.")
    boolean enable__address() default true;

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint, such as tcp://127.0.0.1:2222; empty for none.")
    String network_export() default "";

    @AttributeDefinition(name = "Connect timeout (ms)", min = "1", max = "3600000", description = "How long a connect may take.")
    int connect__timeout__ms() default 10_000;

    @AttributeDefinition(name = "TCP_NODELAY", description = "Disable Nagle's algorithm on every connection.")
    boolean tcp__nodelay() default true;

    @AttributeDefinition(name = "TCP keepalive",
            description = "Probe a connection that carried nothing for a while, so that a device switched off or rebooted (no FIN"
                    + " ever comes) ends its streams instead of leaving them open for ever: SO_KEEPALIVE with the three timings below.")
    boolean keepalive() default false;

    @AttributeDefinition(name = "Keepalive idle (s)", min = "1", max = "32767",
            description = "With keepalive: seconds without a byte either way before the first probe (TCP_KEEPIDLE); a rebooted device"
                    + " answers it with a reset.")
    int keepalive__idle__s() default KeepAlive.IDLE_S;

    @AttributeDefinition(name = "Keepalive interval (s)", min = "1", max = "32767",
            description = "With keepalive: seconds between unanswered probes (TCP_KEEPINTVL).")
    int keepalive__interval__s() default KeepAlive.INTERVAL_S;

    @AttributeDefinition(name = "Keepalive probes", min = "1", max = "127",
            description = "With keepalive: unanswered probes after which the connection fails (TCP_KEEPCNT).")
    int keepalive__count() default KeepAlive.COUNT;

    @AttributeDefinition(name = "Buffer bytes", min = "262144", max = "1073741824",
            description = "Bytes a stream reads ahead of its consumer before it stops reading the socket.")
    int buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Socket buffer bytes", min = "0", max = "67108864",
            description = "SO_SNDBUF and SO_RCVBUF of every socket, 4096..67108864; 0 for the system's default (Linux tunes TCP buffers itself).")
    int socket__buffer__bytes() default 0;
}
