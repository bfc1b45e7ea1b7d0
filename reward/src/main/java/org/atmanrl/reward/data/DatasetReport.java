package org.atmanrl.reward.data;

import java.util.List;
import java.util.Objects;

/**
 * What a data-set load read: the file, how many rows it kept, how many blank lines it passed over
 * (a blank line is not a row), and the malformed rows it skipped. {@code malformedCount} counts
 * every malformed row; {@code malformed} lists the first {@link #LISTED_LIMIT} of them with their
 * lines and faults (a wrong file of millions of bad lines must not fill the memory).
 */
public record DatasetReport(String file, long rows, long blankLines, long malformedCount, List<MalformedRow> malformed) {
    /** At most this many malformed rows are listed; all are counted. */
    public static final int LISTED_LIMIT = 1000;

    public DatasetReport {
        Objects.requireNonNull(file, "file");
        malformed = List.copyOf(malformed);
        if (rows < 0 || blankLines < 0 || malformedCount < malformed.size()) {
            throw new IllegalArgumentException("inconsistent counts: " + rows + " rows, " + blankLines
                    + " blank lines, " + malformedCount + " malformed of which " + malformed.size() + " listed");
        }
    }

    /** One line for a log, e.g. {@code test.jsonl: 1319 rows, 2 malformed rows skipped (lines 5, 9)}. */
    public String summary() {
        StringBuilder s = new StringBuilder(file).append(": ").append(rows).append(" rows");
        if (malformedCount > 0) {
            s.append(", ").append(malformedCount).append(" malformed rows skipped (lines ");
            for (int i = 0; i < Math.min(10, malformed.size()); i++) {
                s.append(i == 0 ? "" : ", ").append(malformed.get(i).line());
            }
            s.append(malformedCount > 10 ? ", ...)" : ")");
        }
        if (blankLines > 0) {
            s.append(", ").append(blankLines).append(" blank lines");
        }
        return s.toString();
    }
}
