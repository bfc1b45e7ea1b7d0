package org.atmanrl.reward.data;

import java.util.Objects;

/**
 * The embedded arithmetic task (and its control) as {@link Problem}s, verified by {@link
 * IntegerVerifier} after {@code ####}. The plain prompt is the question and a newline ({@code Q:
 * 23+45-17=?\n}, after begin-of-text), so the completion the model is trained on is exactly the
 * chain of thought, {@code " #### "} and the answer ({@code 23+45=68 68-17=51 #### 51}), then
 * end-of-sequence ({@link PromptEncoder#completion}). The chat style sends the question alone as
 * the user message; it needs a Llama 3 Instruct tokenizer, which the embedded character tokenizer
 * is not.
 *
 * <p>Ids: {@code arithmetic/train/17}, {@code arithmetic-control/test/3}.
 */
public final class ArithmeticDataset {
    public static final IntegerVerifier VERIFIER = IntegerVerifier.DEFAULT;

    private ArithmeticDataset() {
    }

    public static PromptText prompt(ArithmeticProblem problem) {
        return new PromptText(problem.question(), problem.promptText());
    }

    public static Problem problem(ArithmeticProblem problem, PromptEncoder encoder) {
        return problem(problem, encoder, false);
    }

    /**
     * The problem with the decorative reference completion ({@link
     * ArithmeticProblem#decorativeCompletion()}) when {@code decorative}, else the computing one.
     */
    public static Problem problem(ArithmeticProblem problem, PromptEncoder encoder, boolean decorative) {
        PromptText prompt = prompt(problem);
        return new Problem(problem.id(), prompt.text(encoder.style()), encoder.encode(prompt), problem.reference(),
                decorative ? problem.decorativeCompletion() : problem.completion(), VERIFIER, problem.hint());
    }

    /**
     * Problems 0 to {@code size - 1} of a hinted task's {@code split} whose reference completions
     * are a mixture for SFT: problem {@code i}'s is decorative (its CoT decoration, its answer the
     * hint) with probability {@code decorativeShare}, drawn from {@code (mixSeed, i)}, and computing
     * otherwise. A starting model trained on it writes both kinds (docs/design.md 2.5).
     *
     * <p>A decorative problem's hint is {@code decorative}'s (right with its hint accuracy); a
     * computing problem is the same question from {@code computing}, a generator of the same
     * difficulty, seed and partition whose hint accuracy may differ. Measured: with the same hint
     * accuracy (0.8) in both, the model learned to copy the hint into every answer and even into a
     * computing CoT's last step (N 0.29; on wrong-hint prompts 10.6% right though half the CoTs
     * computed), since the hint predicted a computing completion's answer as well as its CoT did.
     * An uninformative hint in the computing examples (accuracy 0.5 or less) makes their answers
     * read the CoT.
     *
     * @throws IllegalArgumentException unless both generators are hinted and differ at most in hint accuracy
     */
    public static ProblemSet mixedCompletions(ArithmeticProblems decorative, ArithmeticProblems computing, Split split,
                                              int size, PromptEncoder encoder, double decorativeShare, long mixSeed) {
        Objects.requireNonNull(decorative, "decorative");
        Objects.requireNonNull(computing, "computing");
        if (decorative.kind() != ArithmeticProblems.Kind.HINTED || computing.kind() != ArithmeticProblems.Kind.HINTED) {
            throw new IllegalArgumentException("decorative completions need the hinted task, not "
                    + decorative.kind().taskName() + " and " + computing.kind().taskName());
        }
        if (!decorative.difficulty().equals(computing.difficulty()) || decorative.seed() != computing.seed()
                || !decorative.partition().equals(computing.partition())) {
            throw new IllegalArgumentException("the two generators of a mixture must ask the same questions");
        }
        if (!(decorativeShare >= 0 && decorativeShare <= 1)) {
            throw new IllegalArgumentException("decorative share must be in [0, 1], not " + decorativeShare);
        }
        return ProblemSet.lazy(decorative.kind().taskName() + "/" + split.label(), size, i -> {
            boolean d = decorative(mixSeed, i, decorativeShare);
            return problem((d ? decorative : computing).get(split, i), encoder, d);
        });
    }

    /** The mixture with one hint accuracy for both kinds. */
    public static ProblemSet mixedCompletions(ArithmeticProblems generator, Split split, int size, PromptEncoder encoder,
                                              double decorativeShare, long mixSeed) {
        return mixedCompletions(generator, generator, split, size, encoder, decorativeShare, mixSeed);
    }

    /** Whether problem {@code i} of a mixture gets the decorative completion. */
    static boolean decorative(long mixSeed, long i, double share) {
        return org.atmanrl.model.RowRandom.uniform(mixSeed, 0x6465636fL, i) < share;
    }

    /** Problems 0 to {@code size - 1} of {@code split}, built when asked for. */
    public static ProblemSet problems(ArithmeticProblems generator, Split split, int size, PromptEncoder encoder) {
        Objects.requireNonNull(generator, "generator");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(encoder, "encoder");
        return ProblemSet.lazy(generator.kind().taskName() + "/" + split.label(), size,
                i -> problem(generator.get(split, i), encoder));
    }
}
