package org.netdrivers.support.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import org.netdrivers.support.driver.InvalidConfigurationException;

/**
 * A TLS context made from key and trust store files, made again when one of the files changes: a
 * certificate renewed in place (short-lived certificates, a CA's renewal job) reaches the next
 * connection without a change of configuration or a restart. Its owner calls {@link #check()}
 * now and then ({@link #CHECK_S}); connections take {@link #current()} as they start, and those
 * open go on as they began.
 */
public final class ReloadingTls {
    /** How often owners check the files, in seconds: two file stats each time. */
    public static final int CHECK_S = 5;

    /** Makes the context from the files as they are now, or says which field's file is unusable. */
    @FunctionalInterface
    public interface Loader {
        SSLContext load() throws InvalidConfigurationException;
    }

    /** What a {@link #check()} found: the files changed, and the context was made again or could not be. */
    public record Change(boolean reloaded, String problem) {
    }

    private final Loader loader;
    private final List<Path> files;
    private volatile SSLContext current;
    private List<Object> loadedStamps; // guarded by this
    private List<Object> failedStamps; // guarded by this: a change that could not be used, said once

    /** Loads the context at once: a problem then is the configuration's. */
    public ReloadingTls(Loader loader, Path... files) throws InvalidConfigurationException {
        this.loader = loader;
        this.files = List.of(files);
        this.loadedStamps = stamps();
        this.current = loader.load();
    }

    /** @return the context as last loaded */
    public SSLContext current() {
        return current;
    }

    /**
     * Makes the context again if a file changed (its modification time, size or identity) since
     * the last load; a file that cannot be used (half written, a wrong password now, gone) leaves
     * the context as it was, and is tried again when it changes again.
     *
     * @return null when nothing changed, or changed as already reported
     */
    public synchronized Change check() {
        List<Object> now = stamps();
        if (now.equals(loadedStamps) || now.equals(failedStamps)) {
            return null;
        }
        try {
            current = loader.load();
            loadedStamps = now;
            failedStamps = null;
            return new Change(true, null);
        } catch (InvalidConfigurationException e) {
            failedStamps = now;
            return new Change(false, e.getMessage());
        }
    }

    /**
     * {@link #check()}, and says what it found in one line: INFO when the stores were loaded
     * again, WARN when the changed files cannot be used.
     *
     * @param owner who checks, and which files, for the line: "registry: tls_key_store '…' or …"
     * @param connections the connections the stores serve: "new tls:// connections"
     */
    public void checkAndSay(org.slf4j.Logger log, String owner, String connections) {
        Change change = check();
        if (change == null) {
            return;
        }
        if (change.reloaded()) {
            log.info("{} changed on disk: {} use the stores as they are now; open ones go on as they began", owner, connections);
        } else {
            log.warn("{} changed on disk but cannot be used: {}; {} keep the stores as they were, until the files change again",
                    owner, change.problem(), connections);
        }
    }

    private List<Object> stamps() {
        List<Object> out = new ArrayList<>();
        for (Path f : files) {
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                out.add(List.of(a.lastModifiedTime(), a.size(), Objects.toString(a.fileKey())));
            } catch (NoSuchFileException e) {
                out.add("missing");
            } catch (IOException e) {
                out.add("unreadable: " + e.getMessage());
            }
        }
        return out;
    }
}
