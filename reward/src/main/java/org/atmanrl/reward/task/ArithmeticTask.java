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
        PromptText prompt = prompt(problem);
        return new Problem(problem.id(), prompt.text(encoder.style()), encoder.encode(prompt), problem.reference(),
                problem.completion(), VERIFIER);
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
