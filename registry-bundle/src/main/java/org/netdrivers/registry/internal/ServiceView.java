package org.netdrivers.registry.internal;

import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.ServiceReference;

/**
 * A driver service as the registry's tables see it: its id, ranking and properties. {@link Registry}
 * hands the tables a framework's reference through {@link #of}; the tables need nothing else of
 * OSGi, so that their logic (best match, waits, hot swap, exports) is tested without a framework.
 */
interface ServiceView {
    /** The best first, as {@link ServiceReference#compareTo} orders: higher service.ranking, then lower service.id. */
    Comparator<ServiceView> BEST_FIRST = Comparator.comparingInt(ServiceView::ranking).reversed()
            .thenComparingLong(ServiceView::id);

    long id();

    /** @return service.ranking where it is an Integer, else 0 (the framework's rule) */
    default int ranking() {
        Object r = property(Constants.SERVICE_RANKING);
        return r instanceof Integer ? (Integer) r : 0;
    }

    /** @return the property now (a reference's properties follow its service's), or null */
    Object property(String key);

    /** @return every property now, keys in case-insensitive order (as LDAP matching reads them) */
    Map<String, Object> properties();

    /** @return whether the LDAP {@code filter} matches the properties now (keys case-insensitive) */
    default boolean matches(Filter filter) {
        return filter.matches(properties());
    }

    /** The view of a service registered in a framework. */
    static ServiceView of(ServiceReference<?> ref) {
        return new ServiceView() {
            @Override
            public long id() {
                return (Long) ref.getProperty(Constants.SERVICE_ID);
            }

            @Override
            public Object property(String key) {
                return ref.getProperty(key);
            }

            @Override
            public Map<String, Object> properties() {
                Map<String, Object> props = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (String key : ref.getPropertyKeys()) {
                    props.put(key, ref.getProperty(key));
                }
                return props;
            }

            @Override
            public boolean matches(Filter filter) {
                return filter.match(ref);
            }

            @Override
            public String toString() {
                return ref.toString();
            }
        };
    }
}
