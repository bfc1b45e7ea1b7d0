package org.atmanrl.driver.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The two atomic file operations {@link RunLock} is built from, each the one the file system
 * really makes atomic (docs/training-on-spark.md, "Run locks"):
 * <ul>
 * <li>{@link #placeIfAbsent}: a complete file appears at a path only if nothing is there. Hadoop's
 * local {@code create(path, overwrite = false)} checks and then creates (two steps, so two
 * processes can both "create" the same file); here a local file is hard-linked into place
 * ({@code link(2)} fails if the name exists) and an HDFS file renamed without overwrite (one
 * NameNode operation). The file is written whole under a private name first, so nobody ever reads
 * a half-written lock.
 * <li>{@link #moveAside}: the file at a path goes to a new, unique name: {@code rename(2)} locally,
 * the NameNode's rename on HDFS.
 * </ul>
 * Other file systems (object stores) get Hadoop's rename without overwrite, which is not atomic
 * there: a lock on them is best effort.
 */
final class LockFiles {
    private LockFiles() {
    }

    /** Writes {@code bytes} to {@code fresh}, a private name that must not exist. */
    static void write(FileSystem fs, Path fresh, byte[] bytes) throws IOException {
        java.nio.file.Path local = local(fs, fresh);
        if (local != null) {
            Files.write(local, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return;
        }
        try (OutputStream out = fs.create(fresh, false)) {
            out.write(bytes);
        }
    }

    /**
     * Gives {@code from} (a private name) the name {@code to} if nothing has that name; false if
     * something has. {@code from} is gone afterwards either way, unless this throws.
     */
    static boolean placeIfAbsent(FileSystem fs, Path from, Path to) throws IOException {
        java.nio.file.Path src = local(fs, from);
        if (src != null) {
            try {
                Files.createLink(local(fs, to), src);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(src);
            }
        }
        try {
            context(fs).rename(from, to);
            return true;
        } catch (FileAlreadyExistsException e) {
            fs.delete(from, false);
            return false;
        }
    }

    /**
     * Renames {@code from} to {@code aside}, a unique name that does not exist; false if there is
     * no {@code from} (someone else moved or removed it first).
     */
    static boolean moveAside(FileSystem fs, Path from, Path aside) throws IOException {
        java.nio.file.Path src = local(fs, from);
        if (src != null) {
            try {
                Files.move(src, local(fs, aside), StandardCopyOption.ATOMIC_MOVE);
                return true;
            } catch (NoSuchFileException e) {
                return false;
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + from + " atomically: " + e.getMessage(), e);
            }
        }
        try {
            context(fs).rename(from, aside);
            return true;
        } catch (FileNotFoundException e) {
            return false;
        }
    }

    /** The local file of {@code p}, or null when {@code fs} is not the local file system. */
    private static java.nio.file.Path local(FileSystem fs, Path p) {
        Path q = fs.makeQualified(p);
        return "file".equals(q.toUri().getScheme()) ? Paths.get(q.toUri()) : null;
    }

    /** FileContext's rename never overwrites and never moves into a directory, unlike FileSystem's. */
    private static FileContext context(FileSystem fs) throws IOException {
        return FileContext.getFileContext(fs.getUri(), fs.getConf());
    }
}
