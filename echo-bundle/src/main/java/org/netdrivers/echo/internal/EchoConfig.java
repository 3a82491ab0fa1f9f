package org.netdrivers.echo.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers echo driver",
        description = "An in-memory endpoint that returns every chunk sent to it, for tests and demos.")
@interface EchoConfig {
    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint, such as tcp://127.0.0.1:5555; empty for none.")
    String network_export() default "";

    @AttributeDefinition(name = "Buffer bytes", min = "1",
            description = "Bytes a stream holds before a sender waits for the receiver.")
    int buffer__bytes() default 1024 * 1024;
}
