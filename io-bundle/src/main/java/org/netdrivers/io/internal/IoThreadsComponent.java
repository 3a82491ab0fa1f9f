package org.netdrivers.io.internal;

import java.util.Optional;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.IoSessionInitializer;
import org.apache.mina.transport.socket.nio.NioSession;
import org.netdrivers.io.IoThreads;
import org.netdrivers.io.Relay;
import org.netdrivers.io.SelectorLoop;
import org.netdrivers.io.TransportStream;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's I/O threads as a service: one per processor core (framework property
 * {@code netdrivers.io.threads} to choose another number). Delegates to {@link IoThreadsService}.
 */
@Component(immediate = true, service = IoThreads.class)
public final class IoThreadsComponent implements IoThreads {
    private static final Logger LOG = LoggerFactory.getLogger(IoThreadsComponent.class);
    static final String THREADS_PROPERTY = "netdrivers.io.threads";

    private final IoThreadsService threads;

    @Activate
    public IoThreadsComponent(BundleContext context) {
        int n = threads(context.getProperty(THREADS_PROPERTY));
        threads = new IoThreadsService("netdrivers-io", n);
        LOG.info("I/O threads up: {}", n);
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
        threads.close();
        LOG.info("I/O threads down");
    }

    @Override
    public IoProcessor<NioSession> processor() {
        return threads.processor();
    }

    @Override
    public IoSessionInitializer<ConnectFuture> joinCallingThread() {
        return threads.joinCallingThread();
    }

    @Override
    public SelectorLoop loop() {
        return threads.loop();
    }

    @Override
    public SelectorLoop nextLoop() {
        return threads.nextLoop();
    }

    @Override
    public boolean isIoThread() {
        return threads.isIoThread();
    }

    @Override
    public Optional<Relay> relay(TransportStream a, TransportStream b, int window) {
        return threads.relay(a, b, window);
    }
}
