package org.atmanrl.reward.data;

import java.util.List;
import java.util.Objects;

/** The rows a loader kept, in file order, and its {@link DatasetReport}. */
public record LoadedDataset<T>(List<T> rows, DatasetReport report) {
    public LoadedDataset {
        rows = List.copyOf(rows);
        Objects.requireNonNull(report, "report");
    }
}
