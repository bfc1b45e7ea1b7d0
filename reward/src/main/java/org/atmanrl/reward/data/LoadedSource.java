package org.atmanrl.reward.data;

import java.util.List;

/**
 * The rows of a {@link DataSource}'s files, in reading order, with each file's {@link DatasetReport}
 * ({@code reports.get(i)} is {@code files.get(i)}'s).
 */
public record LoadedSource<T>(List<DataFile> files, List<DatasetReport> reports, List<T> rows) {
    public LoadedSource {
        files = List.copyOf(files);
        reports = List.copyOf(reports);
        rows = List.copyOf(rows);
        if (files.size() != reports.size() || files.isEmpty()) {
            throw new IllegalArgumentException("one report per file expected: " + files.size() + " files, "
                    + reports.size() + " reports");
        }
    }

    /**
     * The data set's name in its problem ids: a single file's name without its extension, as always
     * ({@code test.jsonl} gives {@code test}), else {@code split} ({@code train}), since the parts
     * already name the files.
     */
    public String dataSet(String split) {
        return single() ? DatasetNames.of(files.get(0).path()) : split;
    }

    /** Whether the source is one plain file, whose problem ids are its lines alone. */
    public boolean single() {
        return files.size() == 1 && files.get(0).part().isEmpty();
    }

    /** The path of the file whose rows carry {@code part}. */
    public String fileOf(String part) {
        for (DataFile f : files) {
            if (f.part().equals(part)) return f.path();
        }
        throw new IllegalArgumentException("no file of part " + part);
    }
}
