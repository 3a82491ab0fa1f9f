package org.netdrivers.registry.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers forward",
        description = "Exports a driver on a listen address: every accepted connection is bridged to a new stream of the best matching driver.")
@interface ForwardConfig {
    @AttributeDefinition(name = "Target",
            description = "A network.name, or an LDAP filter over driver service properties such as (&(network.type=tcp)(network.name=dut))")
    String target();

    @AttributeDefinition(name = "Listen",
            description = "Listen address: tcp://127.0.0.1:5201, udp://127.0.0.1:5201 (an IP address or localhost, and a port), unix:/path or unix:@name.")
    String listen();

    @AttributeDefinition(name = "Mode", required = false,
            description = "For a unix:/path listen address: the socket file's permissions, in octal.")
    String mode() default "0600";

    @AttributeDefinition(name = "TLS allowed clients", required = false, cardinality = 100,
            description = "For a tls:// listen address: only clients whose certificate subject is one of these distinguished"
                    + " names are served, in place of the registry's tls_allow (the stores are the registry's). In a .cfg file,"
                    + " one string with the names separated by ';'.")
    @org.netdrivers.support.driver.ConfigReader.ListSeparator(";")
    String[] tls__allow() default {};
}
