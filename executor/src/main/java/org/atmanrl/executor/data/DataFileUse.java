package org.atmanrl.executor.data;

import java.util.Objects;
import org.atmanrl.reward.data.DataFile;

/**
 * One file a command read its data from, and how much of it it used: what a run records in its run
 * directory (docs/design.md 4), so that a retrained model names the tables it was trained on.
 *
 * @param split    {@code train}, {@code test} or {@code dev}: the key ({@code data.<split>}) that named it
 * @param file     the file as it was when read (path, size, modification time)
 * @param rowsRead the usable rows it held
 * @param rowsUsed those the command kept (a test set is cut to its first {@code test_size} rows)
 */
public record DataFileUse(String split, DataFile file, long rowsRead, long rowsUsed) {
    public DataFileUse {
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(file, "file");
        if (rowsUsed < 0 || rowsUsed > rowsRead) {
            throw new IllegalArgumentException("rows used must be in [0, " + rowsRead + "], not " + rowsUsed);
        }
    }
}
