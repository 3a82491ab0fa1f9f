package org.netdrivers.itests.peers;

import java.util.Arrays;
import java.util.TreeSet;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Peer;

/**
 * A D-Bus client (dbus-java), run as its own process by the tests: connects to the bus at the
 * address given as its argument (a netdrivers export), calls org.freedesktop.DBus.Peer.Ping and
 * ListNames on the bus daemon, prints {@code PING ok} and {@code NAMES name,name,...}.
 * With {@code --pings N} it times N Ping round trips and prints {@code PINGS n p50us p99us}.
 */
public final class DbusClientPeer {
    public static void main(String[] args) throws Exception {
        String address = args[0];
        try (DBusConnection connection = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
            Peer peer = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", Peer.class);
            DBus bus = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            peer.Ping();
            System.out.println("PING ok");
            System.out.println("NAMES " + String.join(",", new TreeSet<>(Arrays.asList(bus.ListNames()))));
            if (args.length == 3 && args[1].equals("--pings")) {
                int n = Integer.parseInt(args[2]);
                long[] us = new long[n];
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    peer.Ping();
                    us[i] = (System.nanoTime() - t0) / 1000;
                }
                Arrays.sort(us);
                System.out.println("PINGS " + n + " " + us[n / 2] + " " + us[Math.min(n - 1, (int) (n * 0.99))]);
            }
        }
        System.out.flush();
        System.exit(0);
    }
}
