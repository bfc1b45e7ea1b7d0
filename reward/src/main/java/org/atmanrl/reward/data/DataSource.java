package org.atmanrl.reward.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;

/**
 * What {@code data.train}, {@code data.test} and {@code data.dev} (and eval's {@code --test},
 * {@code --dev}) name: one or more entries, each a file, a directory or a Hadoop glob, on any
 * Hadoop file system (docs/design.md 4). A config's YAML list is held in one string, its entries
 * joined by {@link #SEPARATOR} ({@link #join}), the NUL character, which no file system allows in
 * a path, so a single path of any other characters is one entry.
 *
 * <ul>
 *   <li>A file is read whatever its name: {@code .parquet} as Parquet, anything else as JSON lines.</li>
 *   <li>A directory gives every {@code .jsonl}, {@code .json} and {@code .parquet} file below it,
 *       partitioned layouts such as {@code dt=2026-12-01/} included; what Spark and Hadoop skip is
 *       skipped ({@link #hidden}: {@code _SUCCESS}, {@code .crc} files, {@code _temporary/}).</li>
 *   <li>A glob ({@code data/dt=2026-12-*}) gives the files it matches as a directory would, and
 *       the data files below the directories it matches.</li>
 * </ul>
 * The files of all entries are read once each, sorted by their fully qualified path, so the rows'
 * order does not depend on how a file system lists a directory. JSON lines and Parquet files may
 * be mixed. A source of one plain file is read as it always was: its problem ids are {@code
 * <task>/<file name>/<line>}; any other source's are {@code <task>/<split>/<part>:<row>}, the part
 * being the file's path below its entry's root without its extension ({@link DataFile#part()}),
 * so that the same rows as JSON lines or as Parquet get the same ids.
 */
public final class DataSource {
    /** Between the entries of a list. */
    public static final char SEPARATOR = '\u0000';
    private static final String GLOB_CHARACTERS = "*?[]{}\\";

    private DataSource() {
    }

    /** The entries of {@code source}, blank ones dropped. */
    public static List<String> entries(String source) {
        return Arrays.stream(source.split(String.valueOf(SEPARATOR))).filter(e -> !e.isBlank()).toList();
    }

    /** The source of {@code entries}, as {@link #entries} reads it back. */
    public static String join(List<String> entries) {
        for (String e : entries) {
            if (e.indexOf(SEPARATOR) >= 0) throw new IllegalArgumentException("a data path holds no NUL: " + e);
        }
        return String.join(String.valueOf(SEPARATOR), entries);
    }

    /** {@code source} for a message: its entries separated by commas. */
    public static String display(String source) {
        return source == null ? null : String.join(", ", entries(source));
    }

    /**
     * The files {@code source} names, in reading order.
     *
     * @param key names the source in faults ({@code data.train}, {@code --test})
     * @throws FileNotFoundException naming {@code key} and the entry, for a path that is not there
     * @throws ModelFormatException in one line naming {@code key} and the entry: an entry that
     *     matches no data file, or two files whose rows would get the same ids
     */
    public static List<DataFile> resolve(String key, String source, Configuration conf) throws IOException {
        List<String> entries = entries(source);
        if (entries.isEmpty()) throw new ModelFormatException(key, "no path; a file, directory or glob expected");
        if (entries.size() == 1 && !isGlob(entries.get(0))) {
            Path path = new Path(entries.get(0));
            FileStatus status = status(HadoopFiles.fileSystem(path, conf), path, key);
            if (!status.isDirectory()) {
                return List.of(new DataFile(path.toString(), "", DataFormat.ofNamed(path.getName()), status.getLen(),
                        status.getModificationTime()));
            }
        }
        TreeMap<String, DataFile> byPath = new TreeMap<>();
        for (String entry : entries) {
            Path path = new Path(entry);
            FileSystem fs = HadoopFiles.fileSystem(path, conf);
            int before = byPath.size();
            boolean any = false;
            if (isGlob(entry)) {
                FileStatus[] matched = fs.globStatus(path);
                String root = rootOf(fs, globRoot(path));
                for (FileStatus m : matched == null ? new FileStatus[0] : matched) {
                    if (hidden(m.getPath().getName())) continue;
                    any |= m.isDirectory() ? addDirectory(fs, m.getPath(), root, byPath) : addListed(m, root, byPath);
                }
            } else {
                FileStatus status = status(fs, path, key);
                any = status.isDirectory() ? addDirectory(fs, status.getPath(), rootOf(fs, status.getPath()), byPath)
                        : add(status, DataFormat.ofNamed(path.getName()), rootOf(fs, status.getPath().getParent()), byPath);
            }
            if (!any && byPath.size() == before) {
                throw new ModelFormatException(key + " " + entry, "no .jsonl, .json or .parquet file matches");
            }
        }
        requireDistinctParts(key, byPath.values());
        return List.copyOf(byPath.values());
    }

    /**
     * Whether a file or directory called {@code name} is skipped, by Spark's rule for its file
     * sources: names starting with {@code .} or with {@code _} (unless a partition, {@code _x=1}),
     * and files still being copied ({@code ._COPYING_}).
     */
    static boolean hidden(String name) {
        return name.startsWith(".") || (name.startsWith("_") && !name.contains("="))
                || name.endsWith("._COPYING_");
    }

    static boolean isGlob(String entry) {
        for (int i = 0; i < entry.length(); i++) {
            if (GLOB_CHARACTERS.indexOf(entry.charAt(i)) >= 0) return true;
        }
        return false;
    }

    private static FileStatus status(FileSystem fs, Path path, String key) throws IOException {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException(key + " " + path + ": file not found");
        }
    }

    /** The longest leading part of {@code glob} without glob characters: what its parts are relative to. */
    private static Path globRoot(Path glob) {
        Path root = glob;
        while (root != null && isGlob(root.toUri().getPath())) root = root.getParent();
        return root == null ? new Path("/") : root;
    }

    private static String rootOf(FileSystem fs, Path dir) {
        String root = fs.makeQualified(dir).toUri().getPath();
        return root.endsWith("/") ? root : root + "/";
    }

    private static boolean addDirectory(FileSystem fs, Path dir, String root, Map<String, DataFile> byPath)
            throws IOException {
        boolean any = false;
        String below = rootOf(fs, dir);
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
        while (files.hasNext()) {
            LocatedFileStatus f = files.next();
            String path = f.getPath().toUri().getPath();
            String inside = path.startsWith(below) ? path.substring(below.length()) : f.getPath().getName();
            if (Arrays.stream(inside.split("/")).anyMatch(DataSource::hidden)) continue;
            any |= addListed(f, root, byPath);
        }
        return any;
    }

    private static boolean addListed(FileStatus f, String root, Map<String, DataFile> byPath) {
        DataFormat format = DataFormat.ofListed(f.getPath().getName());
        return format != null && add(f, format, root, byPath);
    }

    private static boolean add(FileStatus f, DataFormat format, String root, Map<String, DataFile> byPath) {
        String path = f.getPath().toUri().getPath();
        String relative = path.startsWith(root) ? path.substring(root.length()) : f.getPath().getName();
        String qualified = f.getPath().toString();
        byPath.putIfAbsent(qualified, new DataFile(qualified, DataFormat.withoutExtension(relative), format, f.getLen(),
                f.getModificationTime()));
        return true;
    }

    private static void requireDistinctParts(String key, Iterable<DataFile> files) {
        Map<String, String> byPart = new HashMap<>();
        for (DataFile f : files) {
            String other = byPart.putIfAbsent(f.part(), f.path());
            if (other != null) {
                throw new ModelFormatException(key + " " + f.path(), "its rows would have the problem ids of "
                        + other + " (both are " + f.part() + " below their entry); rename one or name only one");
            }
        }
    }
}
