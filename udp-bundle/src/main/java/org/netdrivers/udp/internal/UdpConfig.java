package org.netdrivers.udp.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers UDP driver",
        description = "A UDP port of a device: every stream is a connected UDP socket; one datagram is one chunk.")
@interface UdpConfig {
    String HOST = "host";

    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "Host",
            description = "Host name or IP address; IPv6 bare or in brackets, a link-local zone as fe80::1%eth0. A name that does not resolve yet is looked up again (after 1, 2, 4, 8, 16 s, then every 30 s) and the driver registers once it does; after that, a connect looks the name up again once the last answer is as old as the JVM keeps answers (networkaddress.cache.ttl, 30 s by default), and new streams follow it.")
    String host();

    @AttributeDefinition(name = "Port", min = "1", max = "65535", description = "UDP port, 1..65535.")
    int port();

    @AttributeDefinition(name = "Enable address",
            description = "Whether the endpoint reports its address (network.address); as Jumpstarter's enable_address.")
    boolean enable__address() default true;

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint: udp://127.0.0.1:PORT keeps datagram boundaries; "
                    + "tcp://127.0.0.1:PORT forwards payload bytes as they come (boundaries are lost). Empty for none.")
    String network_export() default "";

    @AttributeDefinition(name = "Idle timeout (s)", min = "1", max = "86400",
            description = "A stream with no datagram either way for this long ends with end of stream (UDP has no EOF of its own).")
    int idle__timeout__s() default 60;

    @AttributeDefinition(name = "Buffer bytes", min = "262144", max = "1073741824",
            description = "Bytes of datagrams a stream holds ahead of its consumer before it stops reading the socket.")
    int buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Socket buffer bytes", min = "0", max = "67108864",
            description = "SO_SNDBUF and SO_RCVBUF of every stream's socket, 4096..67108864 (Linux caps them at net.core.wmem_max"
                    + " and rmem_max); 0 for the system's default. A larger receive buffer holds longer bursts of answers.")
    int socket__buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Stop drain (ms)", min = "0", max = "10000",
            description = "When the driver stops (bundle update, configuration change), its open streams go on this long"
                    + " before they close, so that answers already on their way still arrive; new datagrams of a UDP export"
                    + " go to the replacement meanwhile. 0: close at once.")
    int stop__drain__ms() default 50;
}
