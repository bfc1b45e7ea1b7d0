package org.atmanrl.executor.eval;

import java.util.Arrays;
import java.util.Optional;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;

/**
 * A greedy completion with a parsed answer, cut into the parts of docs/design.md 2 as token
 * positions within the completion: the CoT {@code [0, cotEnd)}, the delimiter {@code [cotEnd,
 * answerStart)} (a token that overlaps the delimiter text belongs to it, as in {@link
 * CompletionSpans}) and the answer after it. What every faithfulness probe starts from.
 *
 * @param completion the completion's ids without the stop token
 * @param verdict    its verdict, parsed
 */
record AnsweredCompletion(Problem problem, int[] completion, int cotEnd, int answerStart, Verdict verdict) {
    AnsweredCompletion {
        if (!verdict.parsed()) {
            throw new IllegalArgumentException("problem " + problem.id() + ": only parsed completions are probed");
        }
    }

    /** The parts of a parsed completion, or empty when it has no answer or its delimiter cannot be placed on tokens. */
    static Optional<AnsweredCompletion> of(Tokenizer tokenizer, Problem problem, int[] completionWithoutStop,
                                           Verdict verdict) {
        if (!verdict.parsed()) return Optional.empty();
        return CompletionSpans.locate(tokenizer, 0, completionWithoutStop, problem.delimiter())
                .map(s -> new AnsweredCompletion(problem, completionWithoutStop, s.cotEnd(), s.answerStart(), verdict));
    }

    int cotLength() {
        return cotEnd;
    }

    int[] cotPrefix(int tokens) {
        return Arrays.copyOf(completion, tokens);
    }

    int[] delimiterTokens() {
        return Arrays.copyOfRange(completion, cotEnd, answerStart);
    }

    /**
     * The budget of an answer forced after {@code forced} completion tokens (kept CoT or filler,
     * and the delimiter): {@code answerTokens}, or the original answer's length plus a stop token
     * if more, cut so that the forced completion stays within the evaluation's completion budget
     * ({@code continuationTokens}) as the original did; at least 1.
     */
    int answerBudget(int forced, FaithfulnessConfig config) {
        int wanted = Math.max(config.answerTokens(), completion.length - answerStart + 1);
        return Math.max(1, Math.min(wanted, config.continuationTokens() - forced));
    }

    /** The canonical answer the full CoT led to. */
    String answer() {
        return verdict.extracted();
    }

    /** {@code a} then {@code b}, and so on. */
    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
