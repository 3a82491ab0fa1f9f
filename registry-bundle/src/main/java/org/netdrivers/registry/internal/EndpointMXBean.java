package org.netdrivers.registry.internal;

/** JMX view of one endpoint (a driver service): {@code org.netdrivers:type=Endpoint,name=...,id=<service.id>}. */
public interface EndpointMXBean {
    String getName();

    String getType();

    String getAddress();

    /** idle, connecting, up or failing (the driver's network.status). */
    String getStatus();

    /** The last connect's error while failing, else empty. */
    String getLastError();

    String getExport();

    long getStreamsOpen();

    long getStreamsTotal();

    /** Connects through the registry (exports, open()) that failed. */
    long getConnectFailures();

    long getBytesIn();

    long getBytesOut();
}
