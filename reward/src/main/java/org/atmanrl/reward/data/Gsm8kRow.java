package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One GSM8K problem as its JSON line has it: {@code {"question": ..., "answer": ...}}, where
 * {@code answer} is the worked solution with calculator annotations ({@code <<16-3-4=9>>}) and a
 * last line {@code #### <number>}.
 *
 * @param line the 1-based line of the file it was read from (its stable id within the file)
 */
public record Gsm8kRow(long line, String question, String answer) implements Serializable {
    private static final Pattern CALCULATOR_ANNOTATION = Pattern.compile("<<.*?>>");

    public Gsm8kRow {
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
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
