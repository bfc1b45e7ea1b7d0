package org.atmanrl.reward.data;

import java.util.Objects;

/**
 * One file of a data source (docs/design.md 4), as it was when the source was resolved.
 *
 * @param path             the file's Hadoop path: as the user wrote it for a source of one file,
 *                         else fully qualified
 * @param part             its path below the source's root without the data extension ({@code
 *                         dt=2026-12-01/part-0}), the file's part of its rows' problem ids; "" for
 *                         a source of one file, whose ids are the line alone as they always were
 * @param format           how it is read
 * @param size             its length in bytes
 * @param modificationTime its modification time, milliseconds since the epoch
 */
public record DataFile(String path, String part, DataFormat format, long size, long modificationTime) {
    public DataFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(part, "part");
        Objects.requireNonNull(format, "format");
        if (size < 0) throw new IllegalArgumentException("size must be >= 0, not " + size);
    }

    /** A row's place in its source: the line alone in a file of its own, else {@code <part>:<line>}. */
    static String where(String part, long line) {
        return part.isEmpty() ? Long.toString(line) : part + ":" + line;
    }
}
