package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import org.apache.hadoop.fs.Path;

/**
 * The shared test data ({@code shared/data} beside the repository, i.e. {@code ../../shared/data}
 * from the module directory, or {@code $ATMANRL_SHARED_DATA}); a test that needs an absent file is
 * skipped with a message saying which file and how to provide it.
 */
final class SharedData {
    private SharedData() {
    }

    static java.nio.file.Path directory() {
        String override = System.getenv("ATMANRL_SHARED_DATA");
        java.nio.file.Path dir = override != null && !override.isEmpty()
                ? java.nio.file.Path.of(override)
                : java.nio.file.Path.of("../../shared/data"); // from the module directory reward/
        return dir.toAbsolutePath().normalize();
    }

    /** The local file {@code relative} under the shared data, as a {@code file://} Hadoop path; skips when absent. */
    static Path file(String relative) {
        java.nio.file.Path file = directory().resolve(relative);
        assumeTrue(Files.isRegularFile(file), () -> "shared test data absent: no " + file
                + " (set ATMANRL_SHARED_DATA to the shared/data folder to run this test)");
        return new Path(file.toUri());
    }

    /** The number of non-blank lines of a local file. */
    static long nonBlankLines(Path file) {
        try (var lines = Files.lines(java.nio.file.Path.of(file.toUri()))) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
