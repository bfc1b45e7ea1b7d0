package org.atmanrl.reward.task;

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
public final class ArithmeticTask {
    public static final IntegerVerifier VERIFIER = IntegerVerifier.DEFAULT;

    private ArithmeticTask() {
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
     * hint) with probability {@code decorativeShare}, drawn from {@code (mixSeed, i)}, and
     * computing otherwise. A starting model trained on it writes both kinds (docs/design.md,
     * "Showing the method's effect").
     */
    public static ProblemSet mixedCompletions(ArithmeticProblems generator, Split split, int size, PromptEncoder encoder,
                                              double decorativeShare, long mixSeed) {
        Objects.requireNonNull(generator, "generator");
        if (generator.kind() != ArithmeticProblems.Kind.HINTED) {
            throw new IllegalArgumentException("decorative completions need the hinted task, not " + generator.kind().taskName());
        }
        if (!(decorativeShare >= 0 && decorativeShare <= 1)) {
            throw new IllegalArgumentException("decorative share must be in [0, 1], not " + decorativeShare);
        }
        return ProblemSet.lazy(generator.kind().taskName() + "/" + split.label(), size,
                i -> problem(generator.get(split, i), encoder, decorative(mixSeed, i, decorativeShare)));
    }

    /** Whether problem {@code i} of a mixture gets the decorative completion. */
    static boolean decorative(long mixSeed, long i, double share) {
        long bits = org.atmanrl.model.RowRandom.mix(org.atmanrl.model.RowRandom.mix(mixSeed, 0x6465636fL), i);
        return (bits >>> 11) * 0x1.0p-53 < share;
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
