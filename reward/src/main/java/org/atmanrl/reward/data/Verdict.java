package org.atmanrl.reward.data;

import java.io.Serializable;

/**
 * What a {@link Verifier} made of one completion. {@code parsed} says whether the completion has
 * an answer the verifier could read (after the last delimiter); {@code correct} whether it equals
 * the reference; {@code extracted} is the answer as read, in the verifier's canonical form (GSM8K
 * {@code "1000"} for {@code "$1,000.00"}, {@code "1/2"} for {@code "0.5"}; MMLU {@code "B"} for
 * {@code "(B)"}), or null when nothing was parsed.
 *
 * <p>An unparsed completion scores 0 like a wrong one, but is a format failure rather than a wrong
 * answer, so metrics count the two apart ({@link #parsed()} false versus {@link #correct()} false).
 */
public record Verdict(boolean parsed, boolean correct, String extracted) implements Serializable {
    private static final Verdict UNPARSED = new Verdict(false, false, null);

    public Verdict {
        if (correct && !parsed) {
            throw new IllegalArgumentException("a verdict cannot be correct without a parsed answer");
        }
        if (parsed != (extracted != null)) {
            throw new IllegalArgumentException("extracted must be given exactly when the answer was parsed"
                    + " (parsed=" + parsed + ", extracted=" + extracted + ")");
        }
    }

    /** The verdict on a completion with no readable answer. */
    public static Verdict unparsed() {
        return UNPARSED;
    }

    /** The verdict on a completion whose answer read as {@code extracted}. */
    public static Verdict parsed(String extracted, boolean correct) {
        return new Verdict(true, correct, extracted);
    }

    /** The outcome reward {@code r_out}: 1 for a correct answer, 0 for a wrong or unparsed one. */
    public double reward() {
        return correct ? 1.0 : 0.0;
    }
}
