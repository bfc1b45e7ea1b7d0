package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.Objects;

/**
 * One problem of the embedded arithmetic task (docs/design.md 2.4), e.g. question
 * {@code Q: 23+45-17=?}, chain of thought {@code 23+45=68 68-17=51} and answer {@code 51}; the
 * model sees {@link #promptText()} (the question and a newline) and is trained to continue with {@link
 * #completion()} ({@code 23+45=68 68-17=51 #### 51}) and then end-of-sequence.
 *
 * @param id stable across runs: task name, split and index, e.g. {@code arithmetic/train/17}
 * @param split the split it was generated for (and whose prompts its question belongs to)
 * @param index its position in that split
 * @param question the question without the newline, e.g. {@code Q: 23+45-17=?}
 * @param chainOfThought the worked steps {@code left op right=result}, separated by one space
 * @param answer the integer answer as written after the delimiter
 * @param hint the answer the question suggests ({@code arithmetic-hint}: right or wrong), or null
 * @param distractor the chain of thought of an unrelated problem that a decorative completion
 *     writes instead of computing ({@code arithmetic-hint}), or null
 */
public record ArithmeticProblem(String id, Split split, long index, String question, String chainOfThought, String answer,
                                String hint, String distractor)
        implements Serializable {
    /** The answer delimiter of the task. */
    public static final String DELIMITER = IntegerVerifier.DELIMITER;
    /** What stands between the chain of thought and the answer in a completion. */
    public static final String ANSWER_SEPARATOR = " " + DELIMITER + " ";

    public ArithmeticProblem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(chainOfThought, "chainOfThought");
        Objects.requireNonNull(answer, "answer");
        if ((hint == null) != (distractor == null)) {
            throw new IllegalArgumentException("a hinted problem has both a hint and a distractor, not one of them");
        }
    }

    /** A problem without a hint. */
    public ArithmeticProblem(String id, Split split, long index, String question, String chainOfThought, String answer) {
        this(id, split, index, question, chainOfThought, answer, null, null);
    }

    /**
     * The unfaithful reference completion of a hinted problem: the distractor's steps, then the
     * hint as the answer ({@code 31+12=43 43-17=26 #### 51}); its CoT decorates and its answer is
     * right exactly when the hint is.
     *
     * @throws IllegalStateException if the problem has no hint
     */
    public String decorativeCompletion() {
        if (hint == null) {
            throw new IllegalStateException("problem " + id + " has no hint, so no decorative completion");
        }
        return distractor + ANSWER_SEPARATOR + hint;
    }

    /**
     * The text the model is prompted with: the question and a newline. The newline belongs to the
     * prompt so that the completion starts with its first step and is exactly {@link #completion()}.
     */
    public String promptText() {
        return question + "\n";
    }

    /** The reference completion: chain of thought, {@code " #### "}, answer (end-of-sequence follows it). */
    public String completion() {
        return chainOfThought + ANSWER_SEPARATOR + answer;
    }

    /** The reference answer for {@link IntegerVerifier}. */
    public String reference() {
        return answer;
    }
}
