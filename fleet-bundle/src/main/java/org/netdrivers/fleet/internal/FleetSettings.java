package org.netdrivers.fleet.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.netdrivers.support.net.ListenAddress;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

/** The fleet's configuration, checked once (spike: TLS fields are declared, not yet checked). */
record FleetSettings(String zookeeper, String runtime, ListenAddress listen, String advertise, String share, int sessionTimeoutMs) {

    static FleetSettings read(ConfigReader reader) throws InvalidConfigurationException {
        FleetConfig c = reader.read(FleetConfig.class);
        String runtime = c.runtime().isEmpty() ? hostName() : c.runtime();
        String problem = DriverSettings.nameProblem(runtime);
        if (problem != null) {
            throw reader.invalid("runtime", problem);
        }
        ListenAddress listen;
        try {
            listen = ListenAddress.parse(c.listen());
        } catch (IllegalArgumentException e) {
            throw reader.invalid("listen", e.getMessage());
        }
        if (!"tcp".equals(listen.scheme())) {
            throw reader.invalid("listen", "must be tcp://IP:PORT (the fleet port is always mutual TLS)");
        }
        try {
            FrameworkUtil.createFilter(c.share());
        } catch (InvalidSyntaxException e) {
            throw reader.invalid("share", "is not an LDAP filter: " + e.getMessage());
        }
        String advertise = c.advertise().isEmpty() ? listen.toString() : c.advertise();
        return new FleetSettings(c.zookeeper(), runtime, listen, advertise, c.share(), c.session__timeout__ms());
    }

    private static String hostName() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            int dot = h.indexOf('.');
            return dot > 0 ? h.substring(0, dot) : h;
        } catch (UnknownHostException e) {
            return "runtime";
        }
    }
}
