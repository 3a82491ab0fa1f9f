package org.netdrivers.fleet.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * What a runtime publishes about one shared endpoint, the data of its znode: a properties text
 * (ISO 8859-1 with escapes, so any value survives), which keeps the bundle free of a JSON library.
 *
 * @param type    the endpoint's {@code network.type}
 * @param address its {@code network.address}, empty when address mode is disabled
 * @param client  its {@code network.client}
 * @param fleet   where the owning runtime's fleet port is reached, {@code tcp://IP:PORT}
 */
record EndpointRecord(String type, String address, String client, String fleet) {
    EndpointRecord {
        type = type == null ? "" : type;
        address = address == null ? "" : address;
        client = client == null ? "" : client;
        fleet = fleet == null ? "" : fleet;
    }

    byte[] toBytes() {
        Properties p = new Properties();
        p.setProperty("type", type);
        p.setProperty("address", address);
        p.setProperty("client", client);
        p.setProperty("fleet", fleet);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            p.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // drop the date comment Properties.store writes first: equal records give equal bytes
        String text = out.toString(StandardCharsets.ISO_8859_1);
        return text.substring(text.indexOf('\n') + 1).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** @throws IllegalArgumentException when the data is not a record (no fleet address) */
    static EndpointRecord parse(byte[] data) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(data == null ? new byte[0] : data, StandardCharsets.ISO_8859_1)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an endpoint record: " + e.getMessage(), e);
        }
        EndpointRecord r = new EndpointRecord(p.getProperty("type"), p.getProperty("address"), p.getProperty("client"),
                p.getProperty("fleet"));
        if (r.fleet().isEmpty()) {
            throw new IllegalArgumentException("not an endpoint record: no fleet address");
        }
        return r;
    }
}
