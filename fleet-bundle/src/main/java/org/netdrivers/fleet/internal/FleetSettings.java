package org.netdrivers.fleet.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Set;


import org.netdrivers.support.driver.ConfigReader;
import org.netdrivers.support.driver.DriverSettings;
import org.netdrivers.support.driver.InvalidConfigurationException;
import org.apache.zookeeper.client.ConnectStringParser;
import org.netdrivers.support.net.ListenAddress;
import org.netdrivers.support.net.NetAddresses;
import org.netdrivers.support.net.ReloadingTls;
import org.netdrivers.support.net.TlsStores;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

/**
 * The fleet's configuration, checked once: the fleet port and every stream to another runtime
 * are mutual TLS, so the key and trust stores are required and loaded here (a missing file or a
 * wrong password is a configuration error naming the field).
 */
record FleetSettings(String zookeeper, String runtime, ListenAddress listen, String advertise, Filter share,
        Filter useFilter,
        int sessionTimeoutMs, ReloadingTls ssl, Set<String> allow) {

    static FleetSettings read(ConfigReader reader) throws InvalidConfigurationException {
        FleetConfig c = reader.read(FleetConfig.class);
        String zookeeper = connectString(reader, c.zookeeper());
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
        Filter shareFilter = filter(reader, "share", c.share());
        Filter useFilter = c.use().isBlank() ? null : filter(reader, "use", c.use());
        String advertise = c.advertise().isEmpty() ? listen.toString() : c.advertise();
        if (c.key__store().isEmpty()) {
            throw reader.invalid("key_store", "is required: the fleet port and the streams to other runtimes are mutual TLS");
        }
        if (c.trust__store().isEmpty()) {
            throw reader.invalid("trust_store", "is required: other runtimes' certificates must chain to it (mutual TLS)");
        }
        ReloadingTls ssl = new ReloadingTls(() -> TlsStores.context(reader, "key_store", c.key__store(), c.key__store__password(),
                "trust_store", c.trust__store(), c.trust__store__password()), Path.of(c.key__store()), Path.of(c.trust__store()));
        Set<String> allow = TlsStores.allowList(reader, "allow", c.allow());
        return new FleetSettings(zookeeper, runtime, listen, advertise, shareFilter, useFilter, c.session__timeout__ms(), ssl,
                allow);
    }

    private static Filter filter(ConfigReader reader, String field, String text) throws InvalidConfigurationException {
        try {
            return FrameworkUtil.createFilter(text);
        } catch (InvalidSyntaxException e) {
            throw reader.invalid(field, "is not an LDAP filter: " + e.getMessage());
        }
    }

    /**
     * The connect string, {@code host:port[,host:port...][/chroot]}, checked here (ZooKeeper's own
     * parser, then each host's syntax and port) rather than by a client that would retry it for ever.
     */
    static String connectString(ConfigReader reader, String connect) throws InvalidConfigurationException {
        String value = connect.trim();
        ConnectStringParser parsed;
        try {
            parsed = new ConnectStringParser(value);
        } catch (IllegalArgumentException e) { // a port that is not a number, a chroot that is not a path
            throw reader.invalid("zookeeper", "\"" + value + "\" is not a connect string (host:port[,host:port...][/chroot]): "
                    + e.getMessage());
        }
        if (parsed.getServerAddresses().isEmpty()) {
            throw reader.invalid("zookeeper", "\"" + value + "\" names no server (host:port[,host:port...][/chroot])");
        }
        for (InetSocketAddress server : parsed.getServerAddresses()) {
            if (!NetAddresses.isValidHost(server.getHostString())) {
                throw reader.invalid("zookeeper", "\"" + server.getHostString() + "\" is not a host name or an IP address (in \""
                        + value + "\")");
            }
            if (server.getPort() < 1) {
                throw reader.invalid("zookeeper", "port " + server.getPort() + " of " + server.getHostString() + " is out of range 1..65535");
            }
        }
        return value;
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
