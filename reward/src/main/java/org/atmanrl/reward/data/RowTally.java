package org.atmanrl.reward.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A file's rows as a reader turns them out, good and malformed, under a {@link MalformedRowPolicy}:
 * the one place where a bad row fails the load or is counted and listed, whatever the file's format.
 */
final class RowTally<T> {
    private final String file;
    private final MalformedRowPolicy policy;
    private final Consumer<? super T> sink;
    private final List<MalformedRow> malformed = new ArrayList<>();
    private long rows;
    private long malformedCount;

    RowTally(String file, MalformedRowPolicy policy, Consumer<? super T> sink) {
        this.file = Objects.requireNonNull(file, "file");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    void row(T row) {
        rows++;
        sink.accept(row);
    }

    /** The row at {@code line} is malformed: fails the load under FAIL, else is counted (and listed up to the limit). */
    void fault(long line, JsonlReader.RowFault fault) {
        MalformedRow bad = new MalformedRow(file, line, fault.field, fault.getMessage());
        if (policy == MalformedRowPolicy.FAIL) {
            throw new DatasetFormatException(bad);
        }
        malformedCount++;
        if (malformed.size() < DatasetReport.LISTED_LIMIT) {
            malformed.add(bad);
        }
    }

    DatasetReport report(long blankLines) {
        return new DatasetReport(file, rows, blankLines, malformedCount, malformed);
    }
}
