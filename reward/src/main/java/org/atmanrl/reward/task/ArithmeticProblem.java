package org.atmanrl.reward.task;

import java.io.Serializable;
import java.util.Objects;

/**
 * One problem of the embedded arithmetic task (DESIGN 2.4), e.g. question {@code Q: 23+45-17=?},
 * chain of thought {@code 23+45=68 68-17=51} and answer {@code 51}; the model sees {@link
 * #promptText()} (the question and a newline) and is trained to continue with {@link
 * #completion()} ({@code 23+45=68 68-17=51 #### 51}) and then end-of-sequence.
 *
 * @param id stable across runs: task name, split and index, e.g. {@code arithmetic/train/17}
 * @param split the split it was generated for (and whose prompts its question belongs to)
 * @param index its position in that split
 * @param question the question without the newline, e.g. {@code Q: 23+45-17=?}
 * @param chainOfThought the worked steps {@code left op right=result}, separated by one space
 * @param answer the integer answer as written after the delimiter
 */
public record ArithmeticProblem(String id, Split split, long index, String question, String chainOfThought, String answer)
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
