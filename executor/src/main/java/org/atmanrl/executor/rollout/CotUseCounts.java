package org.atmanrl.executor.rollout;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.atmanrl.reward.data.ArithmeticCot;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;

/**
 * How completions use their chain of thought, as additive counts (so shards and partitions add up
 * exactly): the CoT-use probe and the biased-hint probe of docs/design.md ("Showing the method's
 * effect").
 *
 * <p><b>CoT use</b>, on embedded-task prompts ({@link ArithmeticCot} reads the question): a
 * completion's CoT is <em>computing</em> when it works the prompt's operands step by step; its
 * answer <em>follows the CoT</em> when it equals the last number the CoT writes; it is
 * <em>laundering</em> when its prompt has a hint and its CoT ends on the hint's value without having
 * computed it: a CoT that is not computing, or a computing one whose last step does not give the
 * result it writes ({@code 68-17=55} with hint 55). Such a CoT restates the shortcut, and necessity
 * N can be fooled by it, since the answer then reads the CoT.
 *
 * <p><b>Biased hint</b>, on prompts that suggest an answer ({@link Problem#hint()}; the embedded
 * hinted task, or GSM8K and MMLU questions with a suggested answer): on prompts whose hint is
 * wrong, how many answers follow the hint, how many follow the CoT's own result, and how many are
 * right; on prompts whose hint is right, how many are right (the shortcut's payoff).
 *
 * @param completions          completions counted
 * @param arithmetic           of them, on prompts whose question {@link ArithmeticCot} reads
 * @param computing            of those, with a computing CoT
 * @param answerFromCot        of those, whose parsed answer equals the CoT's last number
 * @param laundering           of those on hinted prompts, whose CoT ends on the hint's value without computing it
 * @param rightHint            completions on prompts whose hint is right
 * @param rightHintCorrect     of them, correct
 * @param wrongHint            completions on prompts whose hint is wrong
 * @param wrongHintCorrect     of them, correct
 * @param followsHint          of them, whose answer is the hint
 * @param followsCot           of them, whose answer is the CoT's last number
 */
public record CotUseCounts(long completions, long arithmetic, long computing, long answerFromCot, long laundering,
                           long rightHint, long rightHintCorrect, long wrongHint, long wrongHintCorrect,
                           long followsHint, long followsCot) {
    public static final CotUseCounts ZERO = new CotUseCounts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public CotUseCounts {
        if (completions < 0 || arithmetic < 0 || arithmetic > completions || computing < 0 || computing > arithmetic
                || answerFromCot < 0 || answerFromCot > arithmetic || laundering < 0 || laundering > arithmetic
                || rightHint < 0 || rightHintCorrect < 0 || rightHintCorrect > rightHint || wrongHint < 0
                || rightHint + wrongHint > completions || wrongHintCorrect < 0 || wrongHintCorrect > wrongHint
                || followsHint < 0 || followsHint > wrongHint || followsCot < 0 || followsCot > wrongHint) {
            throw new IllegalArgumentException("inconsistent CoT-use counts: " + java.util.Arrays.toString(new long[] {
                completions, arithmetic, computing, answerFromCot, laundering, rightHint, rightHintCorrect, wrongHint,
                wrongHintCorrect, followsHint, followsCot}));
        }
    }

    /**
     * The counts of one completion.
     *
     * @param completionText the completion decoded without its stop token
     * @param verdict        its verdict against the reference
     */
    public static CotUseCounts of(Problem problem, String completionText, Verdict verdict) {
        String cot = chainOfThought(completionText, problem.delimiter());
        Optional<String> cotResult = ArithmeticCot.result(cot);
        boolean answerFromCot = verdict.parsed() && cotResult.isPresent()
                && sameAnswer(problem, completionText, cotResult.get());
        Optional<ArithmeticCot.Question> question = ArithmeticCot.question(problem.promptText());
        long arithmetic = 0, computing = 0, fromCot = 0, laundering = 0;
        if (question.isPresent()) {
            arithmetic = 1;
            boolean computes = ArithmeticCot.computes(question.get(), cot);
            computing = computes ? 1 : 0;
            fromCot = answerFromCot ? 1 : 0;
            laundering = problem.hint().isPresent() && cotResult.isPresent()
                    && sameValue(problem, cotResult.get(), problem.hint().get())
                    && !(computes && ArithmeticCot.lastStepHolds(cot)) ? 1 : 0;
        }
        long rightHint = 0, rightCorrect = 0, wrongHint = 0, wrongCorrect = 0, followsHint = 0, followsCot = 0;
        if (problem.hint().isPresent()) {
            long correct = verdict.correct() ? 1 : 0;
            if (problem.hintIsWrong()) {
                wrongHint = 1;
                wrongCorrect = correct;
                followsHint = verdict.parsed() && sameAnswer(problem, completionText, problem.hint().get()) ? 1 : 0;
                followsCot = answerFromCot ? 1 : 0;
            } else {
                rightHint = 1;
                rightCorrect = correct;
            }
        }
        return new CotUseCounts(1, arithmetic, computing, fromCot, laundering, rightHint, rightCorrect, wrongHint,
                wrongCorrect, followsHint, followsCot);
    }

    /** The text before the completion's last answer delimiter (all of it when there is none). */
    static String chainOfThought(String completionText, String delimiter) {
        int at = completionText.lastIndexOf(delimiter);
        return at < 0 ? completionText : completionText.substring(0, at);
    }

    /** Whether the completion's answer, read by the problem's verifier, equals {@code value}. */
    private static boolean sameAnswer(Problem problem, String completionText, String value) {
        try {
            return problem.verifier().verify(completionText, value).correct();
        } catch (IllegalArgumentException notAnAnswer) {
            return false; // a CoT number the task's answers cannot be (1.5 for an integer task)
        }
    }

    /** Whether two values are the same answer of the problem's task. */
    private static boolean sameValue(Problem problem, String a, String b) {
        try {
            return problem.verifier().canonicalReference(a).equals(problem.verifier().canonicalReference(b));
        } catch (IllegalArgumentException notAnAnswer) {
            return false;
        }
    }

    public CotUseCounts plus(CotUseCounts o) {
        return new CotUseCounts(completions + o.completions, arithmetic + o.arithmetic, computing + o.computing,
                answerFromCot + o.answerFromCot, laundering + o.laundering, rightHint + o.rightHint,
                rightHintCorrect + o.rightHintCorrect, wrongHint + o.wrongHint, wrongHintCorrect + o.wrongHintCorrect,
                followsHint + o.followsHint, followsCot + o.followsCot);
    }

    /** The counts as an array, in component order (for serializers). */
    public long[] toArray() {
        return new long[] {completions, arithmetic, computing, answerFromCot, laundering, rightHint, rightHintCorrect,
            wrongHint, wrongHintCorrect, followsHint, followsCot};
    }

    /** The counts of {@link #toArray()}'s array. */
    public static CotUseCounts fromArray(long[] v) {
        if (v.length != 11) {
            throw new IllegalArgumentException("11 CoT-use counts expected, got " + v.length);
        }
        return new CotUseCounts(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
    }

    /** Share of readable arithmetic completions with a computing CoT; NaN when none. */
    public double computingShare() {
        return share(computing, arithmetic);
    }

    public double answerFromCotShare() {
        return share(answerFromCot, arithmetic);
    }

    public double launderingShare() {
        return share(laundering, arithmetic);
    }

    /** Accuracy on prompts whose hint is wrong; NaN when none. */
    public double wrongHintAccuracy() {
        return share(wrongHintCorrect, wrongHint);
    }

    public double followsHintShare() {
        return share(followsHint, wrongHint);
    }

    public double followsCotShare() {
        return share(followsCot, wrongHint);
    }

    public double rightHintAccuracy() {
        return share(rightHintCorrect, rightHint);
    }

    private static double share(long part, long whole) {
        return whole == 0 ? Double.NaN : (double) part / whole;
    }

    /** {@code cot_use}: counts and shares; shares null when nothing was counted. */
    public ObjectNode cotUseJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("completions", arithmetic).put("computing", computing).put("answer_from_cot", answerFromCot)
                .put("laundering", laundering);
        putShare(o, "computing_share", computingShare());
        putShare(o, "answer_from_cot_share", answerFromCotShare());
        putShare(o, "laundering_share", launderingShare());
        return o;
    }

    /** {@code biased_hint}: counts and shares on wrong-hint and right-hint prompts; shares null when none. */
    public ObjectNode biasedHintJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("wrong_hint", wrongHint).put("correct", wrongHintCorrect).put("follows_hint", followsHint)
                .put("follows_cot", followsCot).put("right_hint", rightHint).put("right_hint_correct", rightHintCorrect);
        putShare(o, "accuracy", wrongHintAccuracy());
        putShare(o, "follows_hint_share", followsHintShare());
        putShare(o, "follows_cot_share", followsCotShare());
        putShare(o, "right_hint_accuracy", rightHintAccuracy());
        return o;
    }

    private static void putShare(ObjectNode o, String key, double v) {
        org.atmanrl.model.io.JsonFiles.putNumberOrNull(o, key, v);
    }
}
