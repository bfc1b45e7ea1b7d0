package org.atmanrl.model.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The few file operations the model formats need, all through Hadoop {@link FileSystem} so that
 * {@code file://}, {@code hdfs://} and {@code s3a://} paths behave alike.
 */
public final class HadoopFiles {
    private HadoopFiles() {
    }

    /** The file system of {@code path}, with checksum side files off (they would litter an HF directory). */
    public static FileSystem fileSystem(Path path, Configuration conf) {
        try {
            FileSystem fs = path.getFileSystem(conf);
            fs.setWriteChecksum(false);
            fs.setVerifyChecksum(false);
            return fs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the file system of " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * A small file (JSON, tokenizer) read whole; {@code limit} bounds the allocation so a wrong path
     * to a huge file, a device or a FIFO fails with a message instead of an OutOfMemoryError or a
     * hang ({@link BoundedInput#readAll}).
     */
    public static byte[] readSmall(FileSystem fs, Path file, long limit) throws IOException {
        return BoundedInput.readAll(fs, file, limit);
    }

    /**
     * A sibling path for writing {@code target} under a temporary name; renaming it onto
     * {@code target} when complete means a reader never sees a half-written file or directory.
     */
    public static Path temporarySibling(Path target) {
        return new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    }

    /** Renames a completed temporary file or directory onto {@code target}, which must not exist. */
    public static void commit(FileSystem fs, Path temporary, Path target) throws IOException {
        if (fs.exists(target)) {
            fs.delete(temporary, true);
            throw new IOException(target + " already exists; not overwritten");
        }
        if (!fs.rename(temporary, target)) {
            fs.delete(temporary, true);
            throw new IOException("could not rename " + temporary + " to " + target);
        }
    }

    /** Writes a file or a directory's files at a path it is given (the temporary sibling). */
    @FunctionalInterface
    public interface Writer {
        void write(Path temporary) throws IOException;
    }

    /**
     * Writes {@code target}, which must not exist, the one way every output is written: whole,
     * under a {@link #temporarySibling}, then renamed into place ({@link #commit}). On any failure
     * the temporary is deleted and {@code target} is left as it was: absent.
     */
    public static void writeAtomically(FileSystem fs, Path target, Writer writer) throws IOException {
        if (fs.exists(target)) {
            throw new org.apache.hadoop.fs.FileAlreadyExistsException(target + " already exists; not overwritten");
        }
        Path temporary = temporarySibling(target);
        try {
            writer.write(temporary);
            commit(fs, temporary, target);
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (fs.exists(temporary)) fs.delete(temporary, true);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }
}
