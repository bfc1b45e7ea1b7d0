package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One GSM8K problem as its JSON line has it: {@code {"question": ..., "answer": ...}}, where
 * {@code answer} is the worked solution with calculator annotations ({@code <<16-3-4=9>>}) and a
 * last line {@code #### <number>}.
 *
 * @param line the 1-based line (or Parquet row) of the file it was read from (its stable id within the file)
 * @param part which file of a data source of several the row is from ({@link DataFile#part()}),
 *             "" for a source of one file
 */
public record Gsm8kRow(long line, String question, String answer, String part) implements Serializable {
    private static final Pattern CALCULATOR_ANNOTATION = Pattern.compile("<<.*?>>");

    public Gsm8kRow {
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(part, "part");
    }

    /** A row of a single-file source. */
    public Gsm8kRow(long line, String question, String answer) {
        this(line, question, answer, "");
    }

    /** The row as read from the file {@code part} of a source of several. */
    public Gsm8kRow inPart(String part) {
        return new Gsm8kRow(line, question, answer, part);
    }

    /** The row's place in its source, the last part of its problem id: {@code 7}, or {@code dt=2026-12-01/part-0:7}. */
    public String where() {
        return DataFile.where(part, line);
    }

    /** The reference answer: the text after the last {@code ####}, stripped, e.g. {@code 1,080}. */
    public String finalAnswer() {
        return CompletionParts.split(answer, Gsm8kVerifier.DELIMITER).map(p -> p.answer().strip()).orElse("");
    }

    /**
     * The worked solution as a model should write it, for SFT: the {@code answer} field without its
     * calculator annotations, e.g. {@code "She makes 9 * 2 = $<<9*2=18>>18."} becomes {@code "She
     * makes 9 * 2 = $18."}; it still ends in {@code #### <number>}.
     */
    public String solution() {
        return CALCULATOR_ANNOTATION.matcher(answer).replaceAll("");
    }
}
