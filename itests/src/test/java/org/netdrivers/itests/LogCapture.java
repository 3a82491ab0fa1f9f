package org.netdrivers.itests;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/** Collects the log lines of the framework (Pax Logging feeds SLF4J events to the Log Reader Service). */
final class LogCapture implements LogListener, AutoCloseable {
    private final BundleContext context;
    private final ServiceReference<LogReaderService> ref;
    private final LogReaderService reader;
    private final List<LogEntry> entries = new ArrayList<>();

    LogCapture(BundleContext context) {
        this.context = context;
        this.ref = context.getServiceReference(LogReaderService.class);
        if (ref == null) {
            throw new AssertionError("no LogReaderService: Pax Logging is not running");
        }
        this.reader = context.getService(ref);
        reader.addLogListener(this);
    }

    @Override
    public synchronized void logged(LogEntry entry) {
        entries.add(entry);
    }

    /** Lines at WARN or worse that contain every one of {@code needles}. */
    synchronized List<String> warnings(String... needles) {
        return matching(e -> e.getLogLevel() == LogLevel.WARN || e.getLogLevel() == LogLevel.ERROR, needles);
    }

    /** Lines at any level that contain every one of {@code needles}. */
    synchronized List<String> lines(String... needles) {
        return matching(e -> true, needles);
    }

    private List<String> matching(java.util.function.Predicate<LogEntry> level, String... needles) {
        return entries.stream()
                .filter(level)
                .map(LogEntry::getMessage)
                .filter(m -> {
                    for (String n : needles) {
                        if (m == null || !m.contains(n)) {
                            return false;
                        }
                    }
                    return true;
                })
                .collect(Collectors.toList());
    }

    /** Lines at ERROR. */
    synchronized List<String> errors() {
        return entries.stream().filter(e -> e.getLogLevel() == LogLevel.ERROR).map(LogEntry::getMessage)
                .collect(Collectors.toList());
    }

    synchronized List<String> all() {
        return entries.stream().map(e -> e.getLogLevel() + " " + e.getMessage()).collect(Collectors.toList());
    }

    @Override
    public void close() {
        reader.removeLogListener(this);
        context.ungetService(ref);
    }
}
