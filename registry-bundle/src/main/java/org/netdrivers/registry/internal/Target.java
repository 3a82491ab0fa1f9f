package org.netdrivers.registry.internal;

import org.netdrivers.api.NetworkConstants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

/** What an export or open() selects: a {@code network.name}, or an LDAP filter when it starts with "(". */
final class Target {
    private final String text;
    private final Filter filter;

    private Target(String text, Filter filter) {
        this.text = text;
        this.filter = filter;
    }

    /** @throws IllegalArgumentException for an invalid LDAP filter, with the parser's reason */
    static Target parse(String text) {
        String t = text.trim();
        if (t.startsWith("(")) {
            try {
                return new Target(t, FrameworkUtil.createFilter(t));
            } catch (InvalidSyntaxException e) {
                throw new IllegalArgumentException("\"" + t + "\" is not a valid LDAP filter: " + e.getMessage());
            }
        }
        if (t.isEmpty()) {
            throw new IllegalArgumentException("is empty; give a network.name or an LDAP filter");
        }
        return new Target(t, null);
    }

    boolean matches(ServiceView service) {
        if (filter != null) {
            return service.matches(filter);
        }
        return text.equals(service.property(NetworkConstants.NETWORK_NAME));
    }

    @Override
    public String toString() {
        return text;
    }
}
