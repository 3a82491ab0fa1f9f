package org.netdrivers.support.driver;

import org.netdrivers.support.net.NetAddresses;

import java.util.Map;

/**
 * Reads and validates fields of one configuration (component properties). Values may arrive as
 * strings (from {@code .cfg} files) or typed (from {@code .config} files or Config Admin); every
 * problem becomes an {@link InvalidConfigurationException} naming the PID and the field.
 */
public final class ConfigReader {
    private final Map<String, ?> properties;
    private final String pid;

    public ConfigReader(Map<String, ?> properties) {
        this.properties = properties;
        Object p = properties.get("service.pid");
        this.pid = p == null ? String.valueOf(properties.get("component.name")) : p.toString();
    }

    /** @return the configuration PID, such as {@code org.netdrivers.tcp~dut} */
    public String pid() {
        return pid;
    }

    public InvalidConfigurationException invalid(String field, String problem) {
        return new InvalidConfigurationException(pid, field, problem);
    }

    private Object raw(String field) throws InvalidConfigurationException {
        Object v = properties.get(field);
        if (v instanceof Object[] || v instanceof java.util.Collection) {
            throw invalid(field, "must be a single value, not a list");
        }
        return v;
    }

    /** A non-blank string, trimmed. */
    public String requiredString(String field) throws InvalidConfigurationException {
        Object v = raw(field);
        if (v == null) {
            throw invalid(field, "is missing");
        }
        String s = v.toString().trim();
        if (s.isEmpty()) {
            throw invalid(field, "is empty");
        }
        return s;
    }

    /** A string, trimmed; the default when missing or blank. */
    public String optionalString(String field, String defaultValue) throws InvalidConfigurationException {
        Object v = raw(field);
        if (v == null) {
            return defaultValue;
        }
        String s = v.toString().trim();
        return s.isEmpty() ? defaultValue : s;
    }

    /** An integer in {@code [min, max]}; the default when missing. */
    public int intInRange(String field, int min, int max, Integer defaultValue) throws InvalidConfigurationException {
        return (int) longInRange(field, min, max, defaultValue == null ? null : (long) defaultValue);
    }

    /** An integer in {@code [min, max]}, as wide as a long (unsigned 32-bit values); the default when missing. */
    public long longInRange(String field, long min, long max, Long defaultValue) throws InvalidConfigurationException {
        Object v = raw(field);
        if (v == null || (v instanceof String && ((String) v).isBlank())) {
            if (defaultValue == null) {
                throw invalid(field, "is missing (an integer in " + min + ".." + max + " is required)");
            }
            return defaultValue;
        }
        long n;
        if (v instanceof Number) {
            if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                if (d != Math.rint(d)) {
                    throw invalid(field, "is " + v + ", not an integer");
                }
            }
            n = ((Number) v).longValue();
        } else {
            String s = v.toString().trim();
            try {
                n = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw invalid(field, "is \"" + s + "\", not an integer");
            }
        }
        if (n < min || n > max) {
            throw invalid(field, "is " + n + ", out of range " + min + ".." + max);
        }
        return n;
    }

    /** A TCP/UDP port, 1..65535. */
    public int port(String field) throws InvalidConfigurationException {
        return intInRange(field, 1, 65535, null);
    }

    /**
     * A host (name or IP literal, syntax checked before any lookup, then resolved once) and a port
     * 1..65535, as a socket address.
     */
    public java.net.InetSocketAddress hostAndPort(String hostField, String portField) throws InvalidConfigurationException {
        String host = requiredString(hostField);
        if (!NetAddresses.isValidHost(host)) {
            throw invalid(hostField, "\"" + host + "\" is not a host name or an IP address");
        }
        int port = port(portField);
        try {
            return new java.net.InetSocketAddress(NetAddresses.resolve(host), port);
        } catch (java.net.UnknownHostException | SecurityException e) {
            throw invalid(hostField, "\"" + host + "\" does not resolve: " + e.getMessage());
        }
    }

    /** A boolean written {@code true} or {@code false} (any case); the default when missing. */
    public boolean bool(String field, boolean defaultValue) throws InvalidConfigurationException {
        Object v = raw(field);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        String s = v.toString().trim();
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        if (s.isEmpty()) {
            return defaultValue;
        }
        throw invalid(field, "is \"" + s + "\", not true or false");
    }

    /**
     * A list of strings: a {@code String[]} or collection (a {@code .config} file, Karaf's
     * config:property-append), or one string split at {@code separator} (a {@code .cfg} file);
     * entries trimmed, blank ones dropped; empty when missing.
     */
    public java.util.List<String> stringList(String field, String separator) {
        Object v = properties.get(field);
        java.util.List<String> raw = new java.util.ArrayList<>();
        if (v instanceof Object[]) {
            for (Object o : (Object[]) v) {
                raw.add(String.valueOf(o));
            }
        } else if (v instanceof java.util.Collection) {
            for (Object o : (java.util.Collection<?>) v) {
                raw.add(String.valueOf(o));
            }
        } else if (v != null) {
            raw.addAll(java.util.Arrays.asList(v.toString().split(separator)));
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String s : raw) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }
}
