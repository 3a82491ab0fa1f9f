package org.netdrivers.support.driver;

import java.util.Map;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.NetworkInterface;
import org.netdrivers.api.StreamClosedException;

/** A driver's service object as {@link DriverRegistration} manages it. */
public interface ManagedDriver extends NetworkInterface {

    /** @return service properties of this driver beyond the common ones (such as {@code dbus.kind}) */
    default Map<String, Object> extraProperties() {
        return Map.of();
    }

    /** Jumpstarter's generic network client; the D-Bus driver names its own. */
    @Override
    default String client() {
        return NetworkConstants.CLIENT_NETWORK;
    }

    /**
     * Tells {@code listener} whenever {@link #address()} changes after registration (the D-Bus
     * driver reports the entry of its address list it last reached), so that the service property
     * follows.
     */
    default void onAddressChange(Runnable listener) {
    }

    /**
     * The driver is about to go away: new connects fail at once with {@code reason}, so that a
     * caller (the registry) turns to the replacement, while open streams go on until {@link #dispose}.
     */
    void refuseNewStreams(StreamClosedException reason);

    /** Closes every stream with {@code reason} and releases the transport. Called once. */
    void dispose(StreamClosedException reason);
}
