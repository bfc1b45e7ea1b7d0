package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One MMLU question as its JSON line has it: {@code {"subject", "question", "choices": [4 strings],
 * "answer": "A".."D"}}.
 *
 * @param line the 1-based line (or Parquet row) of the file it was read from (its stable id within the file)
 * @param subject e.g. {@code abstract_algebra}
 * @param choices the four options, in the order of the letters A-D
 * @param answer the correct letter, {@code A} to {@code D}
 * @param part which file of a data source of several the row is from ({@link DataFile#part()}),
 *             "" for a source of one file
 */
public record MmluRow(long line, String subject, String question, List<String> choices, String answer, String part)
        implements Serializable {
    public MmluRow {
        Objects.requireNonNull(part, "part");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(question, "question");
        choices = List.copyOf(choices);
        if (choices.size() != MultipleChoiceVerifier.LETTERS.length()) {
            throw new IllegalArgumentException("an MMLU question has " + MultipleChoiceVerifier.LETTERS.length()
                    + " choices, not " + choices.size());
        }
        if (answer == null || answer.length() != 1 || MultipleChoiceVerifier.LETTERS.indexOf(answer.charAt(0)) < 0) {
            throw new IllegalArgumentException("answer must be one of A, B, C, D, not " + answer);
        }
    }

    /** A row of a single-file source. */
    public MmluRow(long line, String subject, String question, List<String> choices, String answer) {
        this(line, subject, question, choices, answer, "");
    }

    /** The row as read from the file {@code part} of a source of several. */
    public MmluRow inPart(String part) {
        return new MmluRow(line, subject, question, choices, answer, part);
    }

    /** The row's place in its source, the last part of its problem id: {@code 7}, or {@code dt=2026-12-01/part-0:7}. */
    public String where() {
        return DataFile.where(part, line);
    }

    /** The subject as words: {@code abstract algebra}. */
    public String subjectWords() {
        return subject.replace('_', ' ').strip();
    }
}
