package org.netdrivers.api;

/** Names of service properties, configuration fields and PIDs shared by every netdrivers bundle. */
public final class NetworkConstants {
    private NetworkConstants() {}

    /** Service property and configuration field: the endpoint's export name (String, required). */
    public static final String NETWORK_NAME = "network.name";

    /** Service property: the transport, one of the {@code TYPE_*} values (String). */
    public static final String NETWORK_TYPE = "network.type";

    /** Service property: the resolved address, present only when address mode is enabled (String). */
    public static final String NETWORK_ADDRESS = "network.address";

    /** Service property: the Jumpstarter client class name for the endpoint (String). */
    public static final String NETWORK_CLIENT = "network.client";

    /** Service property and configuration field: a listen address where the registry exports the endpoint (String). */
    public static final String NETWORK_EXPORT = "network.export";

    /**
     * Service property: how the endpoint's connects fare, one of the {@code STATUS_*} values
     * (String). It changes only when the state does, not on every connect.
     */
    public static final String NETWORK_STATUS = "network.status";

    /** Service property while {@link #NETWORK_STATUS} is {@link #STATUS_FAILING}: the last connect's error (String). */
    public static final String NETWORK_LAST_ERROR = "network.last_error";

    /** {@link #NETWORK_STATUS}: no stream was opened yet. */
    public static final String STATUS_IDLE = "idle";
    /** {@link #NETWORK_STATUS}: a connect is under way and none has succeeded since the last failure. */
    public static final String STATUS_CONNECTING = "connecting";
    /** {@link #NETWORK_STATUS}: the last connect succeeded. */
    public static final String STATUS_UP = "up";
    /** {@link #NETWORK_STATUS}: the last connect failed; {@link #NETWORK_LAST_ERROR} says why. */
    public static final String STATUS_FAILING = "failing";

    /** Service property of D-Bus endpoints: {@code system} or {@code session} (String). */
    public static final String DBUS_KIND = "dbus.kind";

    /** Configuration field of TCP/UDP drivers: whether {@link NetworkInterface#address()} reports the address (Boolean). */
    public static final String ENABLE_ADDRESS = "enable_address";

    /** {@link #NETWORK_TYPE} of the TCP driver. */
    public static final String TYPE_TCP = "tcp";
    /** {@link #NETWORK_TYPE} of the UDP driver. */
    public static final String TYPE_UDP = "udp";
    /** {@link #NETWORK_TYPE} of the Unix-domain socket driver. */
    public static final String TYPE_UNIX = "unix";
    /** {@link #NETWORK_TYPE} of the vsock driver. */
    public static final String TYPE_VSOCK = "vsock";
    /** {@link #NETWORK_TYPE} of the D-Bus driver. */
    public static final String TYPE_DBUS = "dbus";
    /** {@link #NETWORK_TYPE} of the in-memory echo driver. */
    public static final String TYPE_ECHO = "echo";
    /** {@link #NETWORK_TYPE} of the WebSocket driver. */
    public static final String TYPE_WEBSOCKET = "websocket";

    /** Jumpstarter's client class for network drivers. */
    public static final String CLIENT_NETWORK = "jumpstarter_driver_network.client.NetworkClient";
    /** Jumpstarter's client class for the D-Bus driver. */
    public static final String CLIENT_DBUS = "jumpstarter_driver_network.client.DbusNetworkClient";

    /** Factory PID of the echo driver. */
    public static final String PID_ECHO = "org.netdrivers.echo";
    /** Factory PID of the TCP driver. */
    public static final String PID_TCP = "org.netdrivers.tcp";
    /** Factory PID of the UDP driver. */
    public static final String PID_UDP = "org.netdrivers.udp";
    /** Factory PID of the Unix-domain socket driver. */
    public static final String PID_UNIX = "org.netdrivers.unix";
    /** Factory PID of the vsock driver. */
    public static final String PID_VSOCK = "org.netdrivers.vsock";
    /** Factory PID of the D-Bus driver. */
    public static final String PID_DBUS = "org.netdrivers.dbus";
    /** Factory PID of the WebSocket driver. */
    public static final String PID_WEBSOCKET = "org.netdrivers.websocket";
    /** Factory PID of a registry forward (an export configured apart from the driver). */
    public static final String PID_FORWARD = "org.netdrivers.forward";
    /** PID of the registry's own configuration (wait bound, buffer sizes). */
    public static final String PID_REGISTRY = "org.netdrivers.registry";

    /** Configuration field of a forward: the {@link #NETWORK_NAME} or an LDAP filter selecting the driver. */
    public static final String FORWARD_TARGET = "target";
    /** Configuration field of a forward: the listen address, such as {@code tcp://127.0.0.1:5201}. */
    public static final String FORWARD_LISTEN = "listen";
}
