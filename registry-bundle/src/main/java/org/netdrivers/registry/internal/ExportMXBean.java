package org.netdrivers.registry.internal;

/** JMX view of one export (a listener): {@code org.netdrivers:type=Export,listen="..."}. */
public interface ExportMXBean {
    String getListen();

    String getTarget();

    /** The configuration that asks for it. */
    String getSource();

    boolean isListening();

    String getLastError();

    long getConnectionsOpen();

    long getConnectionsTotal();

    long getConnectionsFailed();

    long getBytesIn();

    long getBytesOut();

    long getMaxBytesInFlight();

    long getInFlightLimit();

    long getDroppedMessages();

    long getConnectionsRelayed();
}
