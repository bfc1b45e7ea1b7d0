package org.atmanrl.model.text;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;

/**
 * The Llama 3 tokenizer of the shared test data ({@code shared/data/tokenizers/llama3}, beside the
 * repository, or under {@code $ATMANRL_SHARED_DATA}), loaded once per JVM through {@link
 * Tokenizer#load} with a {@code file://} path, since loading its 9 MB takes about a second. It is
 * never closed: the JVM's exit frees it.
 */
final class Llama3Fixture {
    private static Tokenizer tokenizer;

    private Llama3Fixture() {
    }

    /** The shared-data folder of the Llama 3 tokenizer; the calling test is skipped when absent. */
    static java.nio.file.Path directory() {
        String override = System.getenv("ATMANRL_SHARED_DATA");
        java.nio.file.Path sharedData = override != null && !override.isEmpty()
                ? java.nio.file.Path.of(override)
                : java.nio.file.Path.of("../../shared/data"); // from the module directory model/
        java.nio.file.Path dir = sharedData.resolve("tokenizers/llama3").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(dir.resolve(Tokenizer.TOKENIZER_FILE)),
                () -> "Llama 3 tokenizer test data absent: no " + dir.resolve(Tokenizer.TOKENIZER_FILE)
                        + " (set ATMANRL_SHARED_DATA to the shared/data folder)");
        return dir;
    }

    static synchronized Tokenizer tokenizer() {
        if (tokenizer == null) {
            Path dir = new Path(directory().toUri());
            try {
                tokenizer = Tokenizer.load(HadoopFiles.fileSystem(dir, new Configuration()), dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizer;
    }
}
