package org.atmanrl.reward.data;

/** What a data-set loader does with a row it cannot use. */
public enum MalformedRowPolicy {
    /** Leave the row out, and list it (file, line, field, fault) and count it in the load's report. */
    SKIP,
    /** Stop at the first such row with a {@link DatasetFormatException} naming file, line, field and fault. */
    FAIL
}
