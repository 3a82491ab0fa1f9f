package org.netdrivers.dbus.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "netdrivers D-Bus driver",
        description = "A D-Bus bus of the device: every stream is a new raw connection to the bus socket;"
                + " the client speaks the D-Bus protocol and authenticates itself.")
@interface DbusConfig {
    String KIND = "kind";
    String ADDRESS = "address";

    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "Kind", options = {@Option(label = "system bus", value = "system"),
            @Option(label = "session bus", value = "session")},
            description = "Which bus: system (DBUS_SYSTEM_BUS_ADDRESS, else unix:path=/run/dbus/system_bus_socket) or"
                    + " session (DBUS_SESSION_BUS_ADDRESS, else unix:path=$XDG_RUNTIME_DIR/bus), read from the"
                    + " runtime's environment when configured. Published as the dbus.kind service property.")
    String kind();

    @AttributeDefinition(name = "Address", required = false,
            description = "A D-Bus address that overrides the kind's: a ;-separated list tried in order until one connects;"
                    + " unix:path=, unix:abstract=, unix:runtime=yes, tcp:host=,port=,family=; values %-escaped.")
    String address() default "";

    @AttributeDefinition(name = "Enable address",
            description = "Whether the endpoint reports the bus address it reached (network.address).")
    boolean enable__address() default true;

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint: unix:/path, unix:@name or tcp://127.0.0.1:PORT; empty for none.")
    String network_export() default "";

    @AttributeDefinition(name = "Connect timeout (ms)", min = "1", max = "3600000", description = "How long a connect to a tcp: entry may take.")
    int connect__timeout__ms() default 10_000;

    @AttributeDefinition(name = "Buffer bytes", min = "262144", max = "1073741824",
            description = "Bytes a stream reads ahead of its consumer before it stops reading the socket.")
    int buffer__bytes() default 1024 * 1024;
}
