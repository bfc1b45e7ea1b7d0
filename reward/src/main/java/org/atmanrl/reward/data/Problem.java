package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One prompt of any task, as a trainer uses it without knowing which task it is: a stable {@code
 * id}, the prompt's token ids (and the text they encode, for logs), the reference answer, the
 * task's {@link Verifier} (and so its answer delimiter), and, when the data set has one, a
 * reference completion for SFT (chain of thought, delimiter and answer, without the stop token).
 * Serializable, so problems can be shipped to Spark executors.
 */
public final class Problem implements Serializable {
    private final String id;
    private final String promptText;
    private final int[] promptIds;
    private final String reference;
    private final String referenceCompletion;
    private final Verifier verifier;
    private final String hint;

    /** A problem whose prompt suggests no answer. */
    public Problem(String id, String promptText, int[] promptIds, String reference, String referenceCompletionOrNull,
            Verifier verifier) {
        this(id, promptText, promptIds, reference, referenceCompletionOrNull, verifier, null);
    }

    /**
     * @param referenceCompletionOrNull null when the data set has no worked solution (MMLU)
     * @param hintOrNull the answer the prompt suggests (a biased context: the {@code arithmetic-hint}
     *     task's {@code H:51}, or a suggested answer in a GSM8K or MMLU question), right or wrong;
     *     null when it suggests none
     * @throws IllegalArgumentException if the reference is not an answer of the verifier's task, or
     *     the prompt is empty
     */
    public Problem(String id, String promptText, int[] promptIds, String reference, String referenceCompletionOrNull,
            Verifier verifier, String hintOrNull) {
        this.id = Objects.requireNonNull(id, "id");
        this.promptText = Objects.requireNonNull(promptText, "promptText");
        this.promptIds = Objects.requireNonNull(promptIds, "promptIds").clone();
        this.reference = Objects.requireNonNull(reference, "reference");
        this.referenceCompletion = referenceCompletionOrNull;
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("problem " + id + ": the prompt has no tokens");
        }
        verifier.canonicalReference(reference); // fails now, not at the first rollout
        this.hint = hintOrNull;
        if (hintOrNull != null) {
            verifier.canonicalReference(hintOrNull);
        }
    }

    /** The answer the prompt suggests, if it suggests one. */
    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }

    /** Whether the prompt suggests an answer that is not the reference (a wrong hint). */
    public boolean hintIsWrong() {
        return hint != null && !verifier.canonicalReference(hint).equals(verifier.canonicalReference(reference));
    }

    public String id() {
        return id;
    }

    /** The text the prompt ids encode (the plain text, or the last user message of a chat prompt). */
    public String promptText() {
        return promptText;
    }

    /** The prompt's token ids (a copy). */
    public int[] promptIds() {
        return promptIds.clone();
    }

    public int promptLength() {
        return promptIds.length;
    }

    /** The reference answer as the data set writes it, e.g. {@code 1,080} or {@code B}. */
    public String reference() {
        return reference;
    }

    /** The reference completion for SFT, if the data set has one. */
    public Optional<String> referenceCompletion() {
        return Optional.ofNullable(referenceCompletion);
    }

    public Verifier verifier() {
        return verifier;
    }

    /** The answer delimiter that completions of this problem use. */
    public String delimiter() {
        return verifier.delimiter();
    }

    /** Judges a generated completion (decoded without special tokens) against the reference. */
    public Verdict verify(String completion) {
        return verifier.verify(completion, reference);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Problem p && id.equals(p.id) && promptText.equals(p.promptText)
                && Arrays.equals(promptIds, p.promptIds) && reference.equals(p.reference)
                && Objects.equals(referenceCompletion, p.referenceCompletion) && verifier.equals(p.verifier)
                && Objects.equals(hint, p.hint);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, promptText, Arrays.hashCode(promptIds), reference, referenceCompletion);
    }

    @Override
    public String toString() {
        return "Problem(" + id + ", " + promptIds.length + " prompt tokens, reference " + reference + ")";
    }
}
