package org.atmanrl.driver;

import java.io.IOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.security.AccessControlException;

/**
 * Checks of paths the user named, made before a command does any work: that an input file is
 * there, and that the command can write where it was told to. Otherwise a typo'd or read-only
 * output fails only at the end (after an evaluation) or after the first step of a run, with
 * Hadoop's message. Faults are {@link UserInputException}s naming the option or key and the path.
 */
public final class UserPaths {
    private UserPaths() {
    }

    /** The file {@code path} that {@code what} (a key or an option) names exists; a null path names nothing. */
    public static void requireFile(FileSystem fs, String what, String path) throws IOException {
        if (path != null && !fs.exists(new Path(path))) {
            throw new UserInputException(what + " " + path + ": file not found");
        }
    }

    /** {@code target} (not yet there) could be created: its nearest existing ancestor is a directory we may write. */
    public static void requireCreatable(FileSystem fs, Path target, String what) throws IOException {
        Path p = target.getParent();
        while (p != null && !fs.exists(p)) p = p.getParent();
        if (p != null) requireWritableDirectory(fs, p, what + " " + target);
    }

    /**
     * {@code p} fully qualified, with symbolic links and {@code ..} resolved on the local file
     * system (the nearest existing ancestor's real path, then the rest), so that two names of one
     * file compare equal: an output is refused if it is an input by any name (docs/design.md 4).
     */
    public static Path canonical(FileSystem fs, Path p) {
        Path q = fs.makeQualified(p);
        if (!"file".equals(fs.getUri().getScheme())) return q;
        java.nio.file.Path local = java.nio.file.Paths.get(q.toUri()).normalize();
        java.nio.file.Path rest = local.getFileSystem().getPath("");
        for (java.nio.file.Path at = local; at != null; at = at.getParent()) {
            try {
                java.nio.file.Path real = at.toRealPath().resolve(rest);
                return fs.makeQualified(new Path(real.toUri()));
            } catch (IOException e) {
                rest = at.getFileName() == null ? rest : at.getFileName().resolve(rest);
            }
        }
        return q;
    }

    /** Whether {@code p} is {@code dir} or inside it, both {@link #canonical}. */
    public static boolean isWithin(Path p, Path dir) {
        String d = dir.toString(), s = p.toString();
        return s.equals(d) || s.startsWith(d.endsWith("/") ? d : d + "/");
    }

    /** {@code dir} exists, is a directory, and its permissions let us write in it. */
    public static void requireWritableDirectory(FileSystem fs, Path dir, String what) throws IOException {
        if (!fs.getFileStatus(dir).isDirectory()) {
            throw new UserInputException(what + " cannot be created: " + dir + " is a file, not a directory");
        }
        try {
            // the permission bits as declared, also for root, whom a local disk would let write anyway
            fs.access(dir, FsAction.WRITE);
        } catch (AccessControlException e) {
            throw new UserInputException(what + " is not writable: no write permission on " + dir + " ("
                    + fs.getFileStatus(dir).getPermission() + ")");
        }
    }
}
