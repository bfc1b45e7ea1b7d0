package org.atmanrl.reward.data;

/**
 * A data-set row that cannot be used, under {@link MalformedRowPolicy#FAIL} (or, under any policy,
 * an MMLU question whose subject has too few dev examples, {@link MmluShots}): a one-line message
 * naming file, line, field and fault.
 */
public final class DatasetFormatException extends RuntimeException {
    private final MalformedRow row;

    public DatasetFormatException(MalformedRow row) {
        super(row.message());
        this.row = row;
    }

    /** The row at fault. */
    public MalformedRow row() {
        return row;
    }
}
