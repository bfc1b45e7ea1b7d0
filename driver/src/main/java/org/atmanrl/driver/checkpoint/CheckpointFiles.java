package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/** What the manifest records of a checkpoint's files, taken through Hadoop FileSystem. */
final class CheckpointFiles {
    private static final int BUFFER = 1 << 20;

    private CheckpointFiles() {
    }

    /**
     * Every file under {@code dir}, by path relative to it with {@code /} separators, to its size:
     * one recursive listing, which on HDFS is a few name-node calls rather than one per file.
     */
    static Map<String, Long> sizes(FileSystem fs, Path dir) throws IOException {
        String root = fs.makeQualified(dir).toUri().getPath();
        String prefix = root.endsWith("/") ? root : root + "/";
        Map<String, Long> sizes = new TreeMap<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            String path = s.getPath().toUri().getPath();
            if (!path.startsWith(prefix)) {
                throw new IOException("listing " + dir + " returned " + s.getPath() + ", which is not inside it");
            }
            sizes.put(path.substring(prefix.length()), s.getLen());
        }
        return sizes;
    }

    /** The SHA-256 of a file's bytes, as 64 lowercase hex digits; streamed, never held whole. */
    static String sha256(FileSystem fs, Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = org.atmanrl.model.io.BoundedInput.open(fs, file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
