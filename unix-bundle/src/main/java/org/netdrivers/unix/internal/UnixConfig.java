package org.netdrivers.unix.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers Unix-domain socket driver",
        description = "A Unix-domain socket of the device: every stream is a new connection to the socket.")
@interface UnixConfig {
    String PATH = "path";

    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "Path",
            description = "Absolute path of the socket file, or @name for the Linux abstract namespace; at most 107 bytes.")
    String path();

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint: unix:/path, unix:@name or tcp://127.0.0.1:PORT; empty for none.")
    String network_export() default "";

    @AttributeDefinition(name = "Buffer bytes", min = "262144", max = "1073741824",
            description = "Bytes a stream reads ahead of its consumer before it stops reading the socket.")
    int buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Socket buffer bytes", min = "0", max = "67108864",
            description = "SO_SNDBUF and SO_RCVBUF of every socket of a path (not @name), 4096..67108864; 0 for the system's default (Linux tunes TCP buffers itself).")
    int socket__buffer__bytes() default 0;
}
