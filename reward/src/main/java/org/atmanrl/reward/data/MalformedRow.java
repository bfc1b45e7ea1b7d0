package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.Objects;

/**
 * A data-set row that could not be used: where it is ({@code file}, 1-based {@code line}), which
 * field is at fault ({@code null} when the line as a whole is, e.g. invalid JSON) and what was
 * wrong together with what was expected.
 */
public record MalformedRow(String file, long line, String field, String fault) implements Serializable {
    public MalformedRow {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(fault, "fault");
        if (line < 1) {
            throw new IllegalArgumentException("line numbers start at 1, not " + line);
        }
    }

    /** One line: {@code file:line: field "answer": fault}. */
    public String message() {
        return file + ":" + line + ": " + (field == null ? "" : "field \"" + field + "\": ") + fault;
    }

    @Override
    public String toString() {
        return message();
    }
}
