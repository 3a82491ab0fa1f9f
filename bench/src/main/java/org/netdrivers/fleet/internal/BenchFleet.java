package org.netdrivers.fleet.internal;

/**
 * Bench only (this class lives in the bench module, never in the bundle): the fleet bundle's own
 * {@link Fleet}, which is package-private, for a bench outside its package. Every call goes to the
 * real class, so the bench measures the bundle's node layout, its Curator settings and its
 * {@code CuratorCache}, not a copy of them.
 */
public final class BenchFleet implements AutoCloseable {
    /** What a runtime's fleet reports of other runtimes' endpoints, on its Curator event thread. */
    public interface Seen {
        void appeared(String runtime, String name, String address);

        void gone(String runtime, String name);
    }

    private final Fleet fleet;

    /** A runtime's fleet membership, as {@code FleetComponent} makes it; not started. */
    public BenchFleet(String connectString, String runtime, int sessionTimeoutMs, Seen seen) {
        fleet = new Fleet(connectString, runtime, sessionTimeoutMs, new Fleet.Remotes() {
            @Override
            public void appeared(String r, String name, EndpointRecord record) {
                seen.appeared(r, name, record.address());
            }

            @Override
            public void gone(String r, String name) {
                seen.gone(r, name);
            }
        });
    }

    public void start() {
        fleet.start();
    }

    /** Publishes (or replaces) endpoint {@code name} with the record a shared endpoint of these properties gets. */
    public void publish(String name, String type, String address, String client, String fleetAddress) {
        fleet.publish(name, new EndpointRecord(type, address, client, fleetAddress));
    }

    public void unpublish(String name) {
        fleet.unpublish(name);
    }

    public boolean connected() {
        return fleet.connected();
    }

    /** The bytes of the znode a record of these properties becomes. */
    public static byte[] recordBytes(String type, String address, String client, String fleetAddress) {
        return new EndpointRecord(type, address, client, fleetAddress).toBytes();
    }

    /** Where runtime {@code runtime} publishes endpoint {@code name}. */
    public static String path(String runtime, String name) {
        return Fleet.path(runtime, name);
    }

    /** The root every runtime's cache watches. */
    public static String root() {
        return Fleet.ROOT;
    }

    @Override
    public void close() {
        fleet.close();
    }
}
