package org.netdrivers.support.driver;

import org.netdrivers.support.net.NetAddresses;

import java.lang.annotation.Annotation;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and validates fields of one configuration (component properties). Values may arrive as
 * strings (from {@code .cfg} files) or typed (from {@code .config} files or Config Admin); every
 * problem becomes an {@link InvalidConfigurationException} naming the PID and the field.
 */
public final class ConfigReader {
    private final Map<String, ?> properties;
    private final String pid;
    private final java.util.Set<String> declared = new java.util.HashSet<>(); // ids of the types read

    public ConfigReader(Map<String, ?> properties) {
        this.properties = properties;
        Object p = properties.get("service.pid");
        this.pid = p == null ? String.valueOf(properties.get("component.name")) : p.toString();
    }

    /** @return the configuration PID, such as {@code org.netdrivers.tcp~dut} */
    public String pid() {
        return pid;
    }

    /**
     * Where a list attribute ({@code String[]}) given as one string (a {@code .cfg} file) is split;
     * a comma where the attribute does not say.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    public @interface ListSeparator {
        /** A regular expression. */
        String value();
    }

    /**
     * Every attribute of the configuration type {@code type} (see {@link ConfigType}), checked in
     * declaration order against its range, its type and whether it is required, and defaulted as
     * the type says; the first invalid field is named. The result answers each attribute method
     * with its checked value. Checks beyond a range (a host's syntax, a URL) are the driver's.
     */
    public <A extends Annotation> A read(Class<A> type) throws InvalidConfigurationException {
        Map<Method, Object> values = new LinkedHashMap<>();
        for (ConfigType.Attribute a : ConfigType.of(type).attributes()) {
            declared.add(a.id());
            values.put(a.method(), value(a));
        }
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (values.containsKey(m)) {
                Object v = values.get(m);
                return v instanceof String[] ? ((String[]) v).clone() : v;
            }
            switch (m.getName()) {
                case "annotationType":
                    return type;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                case "toString":
                    StringBuilder sb = new StringBuilder(type.getSimpleName()).append(" of ").append(pid).append(':');
                    values.forEach((k, v) -> sb.append(' ').append(ConfigType.propertyName(k.getName())).append('=')
                            .append(v instanceof String[] ? java.util.Arrays.toString((String[]) v) : v));
                    return sb.toString();
                default:
                    throw new UnsupportedOperationException(m.toString());
            }
        }));
    }

    /**
     * The keys of this configuration that no type read so far declares, sorted: most likely
     * misspelt fields. Left out: the framework's own ({@code service.*}, {@code component.*},
     * {@code felix.fileinstall.*}, keys beginning with a dot) and keys with a dot outside
     * {@code network.} (such as {@code lab.bench}), and {@code network.fleet} (the fleet's mark of
     * an endpoint to share): a driver publishes those as service properties, for LDAP targets to match.
     */
    public java.util.List<String> undeclared() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String k : properties.keySet()) {
            boolean framework = k.startsWith("service.") || k.startsWith("component.") || k.startsWith("felix.fileinstall.")
                    || k.startsWith(".");
            boolean serviceProperty = (k.contains(".") && !k.startsWith("network.")) || k.equals("network.fleet");
            if (!declared.contains(k) && !framework && !serviceProperty) {
                out.add(k.length() > 60 ? k.substring(0, 60) + "..." : k);
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    private Object value(ConfigType.Attribute a) throws InvalidConfigurationException {
        Class<?> t = a.method().getReturnType();
        Object dflt = a.method().getDefaultValue();
        String id = a.id();
        if (t == int.class) {
            return (int) longInRange(id, bound(a.min(), Integer.MIN_VALUE), bound(a.max(), Integer.MAX_VALUE),
                    dflt == null ? null : ((Integer) dflt).longValue());
        }
        if (t == long.class) {
            return longInRange(id, bound(a.min(), Long.MIN_VALUE), bound(a.max(), Long.MAX_VALUE), (Long) dflt);
        }
        if (t == boolean.class) {
            return bool(id, (Boolean) dflt);
        }
        if (t == String.class) {
            return dflt == null ? requiredString(id) : optionalString(id, (String) dflt);
        }
        if (t == String[].class) {
            ListSeparator sep = a.method().getAnnotation(ListSeparator.class);
            return stringList(id, sep == null ? "," : sep.value()).toArray(new String[0]);
        }
        throw new IllegalStateException(a.method() + ": attributes of type " + t + " are not read");
    }

    private static long bound(String text, long otherwise) {
        return text == null || text.isEmpty() ? otherwise : Long.parseLong(text);
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

    /** Whether {@code field} holds the integer {@code value} (as a number or as its text). */
    public boolean holdsInteger(String field, long value) {
        Object v = properties.get(field);
        if (v instanceof Number && !(v instanceof Double || v instanceof Float)) {
            return ((Number) v).longValue() == value;
        }
        return v != null && v.toString().trim().equals(Long.toString(value));
    }

    /**
     * A host (name or IP literal, syntax checked before any lookup, then resolved) and a port
     * (checked already, by its configuration type's range), as a socket address. A name that does
     * not resolve is a problem that may pass ({@link InvalidConfigurationException#lasting()} false).
     */
    public java.net.InetSocketAddress socketAddress(String hostField, String host, int port) throws InvalidConfigurationException {
        if (!NetAddresses.isValidHost(host)) {
            throw invalid(hostField, "\"" + host + "\" is not a host name or an IP address");
        }
        try {
            return new java.net.InetSocketAddress(NetAddresses.resolve(host), port);
        } catch (java.net.UnknownHostException | SecurityException e) {
            throw new InvalidConfigurationException(pid, hostField, "\"" + host + "\" does not resolve: " + e.getMessage(), false);
        }
    }

    /**
     * {@link #socketAddress}, as the target of a driver's connects: a host name is looked up again
     * from time to time ({@link org.netdrivers.support.net.HostTarget}).
     *
     * @param owner the driver, as its log lines name it ({@link DriverSettings#describe()})
     */
    public org.netdrivers.support.net.HostTarget hostTarget(String hostField, String host, int port, String owner)
            throws InvalidConfigurationException {
        return new org.netdrivers.support.net.HostTarget(host, socketAddress(hostField, host, port), owner + " (" + pid + ")");
    }

    /** A boolean written {@code true} or {@code false} (any case); the default when missing (required where it is null). */
    public boolean bool(String field, Boolean defaultValue) throws InvalidConfigurationException {
        Object v = raw(field);
        if (v == null || (v instanceof String && ((String) v).isBlank())) {
            if (defaultValue == null) {
                throw invalid(field, "is missing (true or false is required)");
            }
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
