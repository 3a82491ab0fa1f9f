package org.netdrivers.registry.internal;

import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.function.Supplier;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.netdrivers.api.NetworkConstants;
import org.netdrivers.api.StreamRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One MBean per endpoint and per export in the platform MBean server; every attribute is read live. */
final class Jmx {
    private static final Logger LOG = LoggerFactory.getLogger(Jmx.class);
    static final String DOMAIN = "org.netdrivers";

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    static ObjectName endpointName(EndpointEntry entry) throws JMException {
        return new ObjectName(DOMAIN + ":type=Endpoint,name=" + ObjectName.quote(entry.name()) + ",id="
                + entry.ref.id());
    }

    static ObjectName exportName(String listen) throws JMException {
        return new ObjectName(DOMAIN + ":type=Export,listen=" + ObjectName.quote(listen));
    }

    void endpointAdded(EndpointEntry entry) {
        try {
            register(endpointName(entry), new EndpointView(entry));
        } catch (JMException e) {
            LOG.warn("no MBean for {}: {}", entry.describe(), e.toString());
        }
    }

    void endpointRemoved(EndpointEntry entry) {
        try {
            unregister(endpointName(entry));
        } catch (JMException e) {
            LOG.debug("MBean of {}", entry.describe(), e);
        }
    }

    void exportAdded(String listen, Supplier<StreamRegistry.Export> snapshot) {
        try {
            register(exportName(listen), new ExportView(snapshot));
        } catch (JMException e) {
            LOG.warn("no MBean for export {}: {}", listen, e.toString());
        }
    }

    void exportRemoved(String listen) {
        try {
            unregister(exportName(listen));
        } catch (JMException e) {
            LOG.debug("MBean of export {}", listen, e);
        }
    }

    private void register(ObjectName name, Object mbean) throws JMException {
        if (server.isRegistered(name)) {
            server.unregisterMBean(name); // a leftover of a registry that was not stopped cleanly
        }
        server.registerMBean(mbean, name);
    }

    private void unregister(ObjectName name) throws JMException {
        if (server.isRegistered(name)) {
            server.unregisterMBean(name);
        }
    }

    private static final class EndpointView implements EndpointMXBean {
        private final EndpointEntry entry;

        EndpointView(EndpointEntry entry) {
            this.entry = entry;
        }

        private String property(String key) {
            Object v = entry.ref.property(key);
            return v == null ? "" : v.toString();
        }

        @Override
        public String getName() {
            return entry.name();
        }

        @Override
        public String getType() {
            return entry.type();
        }

        @Override
        public String getAddress() {
            return entry.service.describeAddress();
        }

        @Override
        public String getStatus() {
            return property(NetworkConstants.NETWORK_STATUS);
        }

        @Override
        public String getLastError() {
            return property(NetworkConstants.NETWORK_LAST_ERROR);
        }

        @Override
        public String getExport() {
            return entry.export().orElse("");
        }

        @Override
        public long getStreamsOpen() {
            return entry.open.get();
        }

        @Override
        public long getStreamsTotal() {
            return entry.total.get();
        }

        @Override
        public long getConnectFailures() {
            return entry.failures.get();
        }

        @Override
        public long getBytesIn() {
            return entry.bytesIn.get();
        }

        @Override
        public long getBytesOut() {
            return entry.bytesOut.get();
        }
    }

    private static final class ExportView implements ExportMXBean {
        private final Supplier<StreamRegistry.Export> snapshot;

        ExportView(Supplier<StreamRegistry.Export> snapshot) {
            this.snapshot = snapshot;
        }

        @Override
        public String getListen() {
            return snapshot.get().listen();
        }

        @Override
        public String getTarget() {
            return snapshot.get().target();
        }

        @Override
        public String getSource() {
            return snapshot.get().source();
        }

        @Override
        public boolean isListening() {
            return snapshot.get().listening();
        }

        @Override
        public String getLastError() {
            Optional<String> e = snapshot.get().lastError();
            return e.orElse("");
        }

        @Override
        public long getConnectionsOpen() {
            return snapshot.get().openConnections();
        }

        @Override
        public long getConnectionsTotal() {
            return snapshot.get().totalConnections();
        }

        @Override
        public long getConnectionsFailed() {
            return snapshot.get().failedConnections();
        }

        @Override
        public long getBytesIn() {
            return snapshot.get().bytesIn();
        }

        @Override
        public long getBytesOut() {
            return snapshot.get().bytesOut();
        }

        @Override
        public long getMaxBytesInFlight() {
            return snapshot.get().maxBytesInFlight();
        }

        @Override
        public long getInFlightLimit() {
            return snapshot.get().inFlightLimit();
        }

        @Override
        public long getDroppedMessages() {
            return snapshot.get().droppedMessages();
        }

        @Override
        public long getConnectionsRelayed() {
            return snapshot.get().relayedConnections();
        }
    }
}
