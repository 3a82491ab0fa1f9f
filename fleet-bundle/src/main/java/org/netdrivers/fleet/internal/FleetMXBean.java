package org.netdrivers.fleet.internal;

/** The fleet port's counters, as MBean {@code org.netdrivers:type=Fleet}; read live. */
public interface FleetMXBean {
    /** @return this runtime's name in the fleet */
    String getRuntime();

    /** @return where the fleet port listens */
    String getListen();

    /** @return clients the fleet port refused (TLS, allow, handshake, unknown or unshared name, timeout) */
    long getRefusedConnections();

    /** @return streams the fleet port served */
    long getServedConnections();

    /** @return whether ZooKeeper answers now */
    boolean isZooKeeperConnected();

    /** @return whether this runtime publishes its shared endpoints (false while another runtime holds its name) */
    boolean isPublishing();

    /** @return other runtimes' endpoints registered here */
    int getRemoteEndpoints();
}
