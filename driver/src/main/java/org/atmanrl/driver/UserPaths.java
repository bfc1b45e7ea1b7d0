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
