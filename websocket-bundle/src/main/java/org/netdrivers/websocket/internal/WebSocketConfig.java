package org.netdrivers.websocket.internal;

import org.netdrivers.support.driver.ConfigReader;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "netdrivers WebSocket driver",
        description = "A WebSocket URL of the device: every stream is a new WebSocket connection; one message is one chunk.")
@interface WebSocketConfig {
    String URL = "url";
    String HEADERS = "headers";
    String SUBPROTOCOLS = "subprotocols";
    String TRUST_STORE = "trust_store";

    @AttributeDefinition(name = "Name", description = "The endpoint's export name (network.name); required.")
    String network_name();

    @AttributeDefinition(name = "URL", description = "ws://host:port/path or wss://host:port/path.")
    String url();

    @AttributeDefinition(name = "Enable address", description = "Whether the endpoint reports its URL (network.address).")
    boolean enable__address() default true;

    @AttributeDefinition(name = "Export", required = false,
            description = "Where the registry exports this endpoint: tcp://127.0.0.1:PORT or unix:/path; empty for none."
                    + " A byte-stream export forwards message payloads as they come: boundaries are not kept there.")
    String network_export() default "";

    @AttributeDefinition(name = "Headers", required = false, cardinality = 100,
            description = "HTTP headers of the opening handshake, each 'Name: value' (such as 'Authorization: Bearer ...');"
                    + " in a .cfg file, one string with the headers separated by newlines (\\n).")
    @ConfigReader.ListSeparator("\\r?\\n")
    String[] headers() default {};

    @AttributeDefinition(name = "Subprotocols", required = false, cardinality = 100,
            description = "Subprotocols offered in the handshake, most preferred first; in a .cfg file, comma-separated.")
    String[] subprotocols() default {};

    @AttributeDefinition(name = "Connect timeout (ms)", min = "1", max = "3600000", description = "How long the connect and handshake may take.")
    int connect__timeout__ms() default 10_000;

    @AttributeDefinition(name = "Trust store", required = false,
            description = "wss only: a trust store file (PKCS12 or JKS) holding the certificates to trust instead of the JDK's default ones.")
    String trust__store() default "";

    @AttributeDefinition(name = "Trust store password", required = false, type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
            description = "The trust store's password, if it has one.")
    String trust__store__password() default "";

    @AttributeDefinition(name = "Trust store type", required = false,
            description = "PKCS12 or JKS; empty to tell from the file name (.jks is JKS, anything else PKCS12).")
    String trust__store__type() default "";

    @AttributeDefinition(name = "Max message bytes", min = "1", max = "1073741824",
            description = "The largest message a stream accepts; a larger one fails the stream (status 1009, message too big).")
    int max__message__bytes() default 16 * 1024 * 1024;

    @AttributeDefinition(name = "Buffer bytes", min = "262144", max = "1073741824",
            description = "Bytes of received messages a stream holds ahead of its consumer before it stops asking the server for more.")
    int buffer__bytes() default 1024 * 1024;

    @AttributeDefinition(name = "Ping interval (s)", min = "0", max = "3600",
            description = "A stream that has heard nothing from the server for this long sends it a WebSocket Ping, so that a"
                    + " server switched off or a network gone (no Close and no FIN ever come) ends the stream instead of leaving"
                    + " it open for ever; every server answers Pings (RFC 6455). 0: no Pings.")
    int ping__interval__s() default 20;

    @AttributeDefinition(name = "Ping timeout (s)", min = "1", max = "3600",
            description = "A Ping that nothing from the server follows within this long fails the stream and drops the connection.")
    int ping__timeout__s() default 20;
}
