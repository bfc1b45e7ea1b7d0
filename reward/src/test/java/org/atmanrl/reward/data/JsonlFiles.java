package org.atmanrl.reward.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;

/** Test helpers: write lines to a local file and name it as a Hadoop {@code file://} path. */
final class JsonlFiles {
    private JsonlFiles() {
    }

    static Path write(java.nio.file.Path dir, String name, String... lines) {
        return writeBytes(dir, name, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Path writeBytes(java.nio.file.Path dir, String name, byte[] bytes) {
        try {
            java.nio.file.Path file = dir.resolve(name);
            Files.write(file, bytes);
            return new Path(file.toUri());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FileSystem fs(Path path) {
        return HadoopFiles.fileSystem(path, new Configuration());
    }
}
