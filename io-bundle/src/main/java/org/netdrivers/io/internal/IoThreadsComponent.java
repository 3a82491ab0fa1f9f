package org.netdrivers.io.internal;

import org.netdrivers.io.IoThreads;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's I/O threads as a service: one per processor core (framework property
 * {@code netdrivers.io.threads} to choose another number).
 */
@Component(immediate = true, service = IoThreads.class)
public final class IoThreadsComponent extends IoThreadsService {
    private static final Logger LOG = LoggerFactory.getLogger(IoThreadsComponent.class);
    static final String THREADS_PROPERTY = "netdrivers.io.threads";

    @Activate
    public IoThreadsComponent(BundleContext context) {
        super("netdrivers-io", threads(context.getProperty(THREADS_PROPERTY)));
        LOG.info("I/O threads up: {}", threads());
    }

    static int threads(String configured) {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        if (configured == null || configured.isBlank()) {
            return cores;
        }
        try {
            int n = Integer.parseInt(configured.trim());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        LOG.warn("framework property {} = \"{}\" is not a number of threads in 1..1024; using {} (one per core)",
                THREADS_PROPERTY, configured, cores);
        return cores;
    }

    @Deactivate
    void deactivate() {
        close();
        LOG.info("I/O threads down");
    }
}
