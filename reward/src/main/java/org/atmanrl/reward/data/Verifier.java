package org.atmanrl.reward.data;

import java.io.Serializable;

/**
 * The outcome check of a task (docs/design.md 2.1). A completion has the shape {@code <CoT>
 * <delimiter> <answer>}; the answer is what follows the <em>last</em> occurrence of {@link
 * #delimiter()}, so a chain of thought may mention the delimiter and still be judged by its final
 * answer. A completion without the delimiter, or whose answer cannot be read, is {@link
 * Verdict#unparsed()}.
 *
 * <p>The completion is the generated text decoded without special tokens (the stop token is not
 * part of it). Implementations are stateless and serializable, so a {@link Problem} carrying one
 * can travel to a Spark executor.
 */
public interface Verifier extends Serializable {
    /** The marker that separates the chain of thought from the answer, e.g. {@code ####}. */
    String delimiter();

    /**
     * Judges {@code completion} against {@code reference}.
     *
     * @throws IllegalArgumentException if {@code reference} is not a valid answer of this task
     *     (a data fault, never the completion's)
     */
    Verdict verify(String completion, String reference);

    /**
     * {@code reference} in the canonical form of {@link Verdict#extracted()}, so that a correct
     * completion's extracted answer equals it.
     *
     * @throws IllegalArgumentException if {@code reference} is not a valid answer of this task
     */
    String canonicalReference(String reference);
}
