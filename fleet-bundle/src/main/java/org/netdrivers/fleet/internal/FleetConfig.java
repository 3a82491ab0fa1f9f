package org.netdrivers.fleet.internal;

import org.netdrivers.support.driver.ConfigReader;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers fleet",
        description = "Shares endpoints with other runtimes through Apache ZooKeeper and registers theirs here as RUNTIME/NAME.")
@interface FleetConfig {
    @AttributeDefinition(name = "ZooKeeper", description = "The ZooKeeper connect string, host:port[,host:port...][/chroot].")
    String zookeeper();

    @AttributeDefinition(name = "Runtime name", required = false,
            description = "This runtime's name in the fleet: letters, digits, '.', '_' and '-'; empty for the host name.")
    String runtime() default "";

    @AttributeDefinition(name = "Fleet port", description = "Where this runtime serves the fleet's mutual-TLS streams: tcp://IP:PORT.")
    String listen();

    @AttributeDefinition(name = "Advertised address", required = false,
            description = "tcp://HOST:PORT other runtimes connect to for this runtime's endpoints; empty for the listen address.")
    String advertise() default "";

    @AttributeDefinition(name = "Shared endpoints",
            description = "LDAP filter over the local endpoints' service properties: the endpoints this runtime publishes.")
    String share() default "(network.fleet=true)";

    @AttributeDefinition(name = "Used endpoints", required = false,
            description = "LDAP filter over the service properties other runtimes' endpoints get here (network.name RUNTIME/NAME,"
                    + " network.runtime, network.type, ...): the ones this runtime registers; empty for all.")
    String use() default "";

    @AttributeDefinition(name = "Key store", required = false,
            description = "PKCS12 file with this runtime's key and certificate chain (fleet port and outgoing streams).")
    String key__store() default "";

    @AttributeDefinition(name = "Key store password", required = false, type = AttributeType.PASSWORD,
            description = "The key store's password (also the key's).")
    String key__store__password() default "";

    @AttributeDefinition(name = "Trust store", required = false,
            description = "PKCS12 file with the certificates other runtimes' certificates must chain to.")
    String trust__store() default "";

    @AttributeDefinition(name = "Trust store password", required = false, type = AttributeType.PASSWORD,
            description = "The trust store's password, if it has one.")
    String trust__store__password() default "";

    @AttributeDefinition(name = "Allowed runtimes", required = false, cardinality = 100,
            description = "When set, only these certificate subjects may open streams here, and streams are opened only to fleet ports"
                    + " presenting one of them; in a .cfg file separated by ';'.")
    @ConfigReader.ListSeparator(";")
    String[] allow() default {};

    @AttributeDefinition(name = "Session timeout (ms)", min = "4000", max = "600000",
            description = "How long ZooKeeper keeps this runtime's endpoints published after it stops answering (the server caps it"
                    + " at 20 ticks).")
    int session__timeout__ms() default 30000;
}
