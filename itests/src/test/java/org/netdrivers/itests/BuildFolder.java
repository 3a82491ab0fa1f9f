package org.netdrivers.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The module's build folder (failsafe's {@code netdrivers.build}; {@code target} where that is
 * not set), for the tests' files that need no short path (homes, certificates, daemon
 * configurations): {@code mvn clean} removes them. Socket files need short paths: tests keep them
 * in {@link NetdriversTestSupport#tempFolder}.
 */
final class BuildFolder {
    private BuildFolder() {}

    /** The build folder, absolute. */
    static Path path() {
        return Path.of(System.getProperty("netdrivers.build", "target")).toAbsolutePath();
    }

    /** A new folder {@code prefix…} in the build folder. */
    static Path newFolder(String prefix) throws IOException {
        return Files.createTempDirectory(path(), prefix);
    }
}
