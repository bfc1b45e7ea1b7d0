package org.atmanrl.driver.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/** Config files in a test's directory, loaded as {@code atmanrl train} loads them. */
final class ConfigFiles {
    private static final Configuration CONF = new Configuration();

    /** Every non-default key of a model and output: what a test config needs to load. */
    static final String REQUIRED = "model: runs/sft\noutput: runs/grpo\n";

    private final Path dir;

    ConfigFiles(Path dir) {
        this.dir = dir;
    }

    /** Writes {@code text} to {@code name}; returns the path as a user would give it. */
    String write(String name, String text) {
        try {
            Path file = dir.resolve(name);
            Files.writeString(file, text);
            return file.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TrainConfig load(String fileOrNull, String... sets) {
        return TrainConfigLoader.load(CONF, fileOrNull, List.of(sets));
    }

    /** The defaults with model and output, as deploy/configs/embedded.yaml sets them. */
    static TrainConfig demoDefaults() {
        return TrainConfig.defaults().with("model", "runs/sft").with("output", "runs/grpo");
    }
}
