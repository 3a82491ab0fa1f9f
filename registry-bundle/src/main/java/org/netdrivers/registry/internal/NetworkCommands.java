package org.netdrivers.registry.internal;

import java.util.List;
import java.util.Locale;

import org.netdrivers.api.StreamRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo commands of scope {@code network}; they need nothing of Gogo but these properties. */
@Component(service = NetworkCommands.class, property = {
        "osgi.command.scope=network",
        "osgi.command.function=list",
        "osgi.command.function=address",
        "osgi.command.function=stats"})
public final class NetworkCommands {
    private final StreamRegistry registry;

    @Activate
    public NetworkCommands(@Reference StreamRegistry registry) {
        this.registry = registry;
    }

    /** network:list — every endpoint with its address, export, streams and bytes. */
    public String list() {
        List<StreamRegistry.Endpoint> endpoints = registry.endpoints();
        if (endpoints.isEmpty()) {
            return "no network endpoints";
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-20s %-9s %-32s %-26s %7s %12s %12s%n",
                "NAME", "TYPE", "ADDRESS", "EXPORT", "STREAMS", "BYTES IN", "BYTES OUT"));
        for (StreamRegistry.Endpoint e : endpoints) {
            sb.append(String.format(Locale.ROOT, "%-20s %-9s %-32s %-26s %7d %12d %12d%n", e.name(), e.type(), e.address(),
                    e.export().orElse("-"), e.openStreams(), e.bytesIn(), e.bytesOut()));
        }
        return sb.toString().stripTrailing();
    }

    /** network:address NAME — the address of one endpoint. */
    public String address(String name) {
        return registry.endpoint(name).map(StreamRegistry.Endpoint::address)
                .orElseThrow(() -> new IllegalArgumentException("no network endpoint named '" + name + "'"));
    }

    /** network:stats — traffic per endpoint and per export. */
    public String stats() {
        StringBuilder sb = new StringBuilder();
        for (StreamRegistry.Endpoint e : registry.endpoints()) {
            sb.append(String.format(Locale.ROOT, "endpoint %s: streams open %d, total %d, bytes in %d, out %d%n", e.name(),
                    e.openStreams(), e.totalStreams(), e.bytesIn(), e.bytesOut()));
        }
        for (StreamRegistry.Export x : registry.exports()) {
            sb.append(String.format(Locale.ROOT,
                    "export %s -> %s: %s, connections open %d, total %d, failed %d, bytes in %d, out %d, max in flight %d of %d%s%n",
                    x.listen(), x.target(), x.listening() ? "listening" : "not listening", x.openConnections(),
                    x.totalConnections(), x.failedConnections(), x.bytesIn(), x.bytesOut(), x.maxBytesInFlight(),
                    x.inFlightLimit(), x.lastError().map(err -> ", last error: " + err).orElse("")));
        }
        return sb.length() == 0 ? "no endpoints and no exports" : sb.toString().stripTrailing();
    }
}
