package org.netdrivers.vsock.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers vsock driver",
        description = "A vsock port of a virtual machine (AF_VSOCK): every stream is a new connection to cid:port.")
@interface VsockConfig {
    String CID = "cid";
    String PORT = "port";
    String CONNECT_TIMEOUT_MS = "connect_timeout_ms";
    String BUFFER_BYTES = "buffer_bytes";

    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "CID", min = "0", max = "4294967294",
            description = "Context ID of the machine to reach: 2 the host, 1 this machine (local), 3 and up a virtual machine; unsigned 32-bit, VMADDR_CID_ANY (4294967295) refused.")
    long cid();

    @AttributeDefinition(name = "Port", min = "0", max = "4294967294",
            description = "vsock port; unsigned 32-bit, VMADDR_PORT_ANY (4294967295) refused.")
    long port();

    @AttributeDefinition(name = "Enable address",
            description = "Whether the endpoint reports its address (network.address, vsock://CID:PORT); as Jumpstarter's enable_address.")
    boolean enable__address() default true;

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint, such as tcp://127.0.0.1:2222 or unix:/run/netdrivers/vm.sock; empty for none.")
    String network_export() default "";

    @AttributeDefinition(name = "Connect timeout (ms)", min = "1", max = "3600000", description = "How long a connect may take.")
    int connect__timeout__ms() default 10_000;

    @AttributeDefinition(name = "Buffer bytes", min = "262144", max = "1073741824",
            description = "Bytes a stream reads ahead of its consumer before it stops reading the socket.")
    int buffer__bytes() default 1024 * 1024;
}
