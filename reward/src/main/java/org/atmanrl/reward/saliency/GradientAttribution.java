package org.atmanrl.reward.saliency;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaModel;

/**
 * The gradient attribution of docs/design.md 2.2, reported beside m* and the AtMan drop: per CoT
 * token {@code j}, {@code g_j = dl/db_j} at {@code b = 0}, where {@code l = sum_t log p(a_t)} is
 * the answer log-likelihood (the sum over the answer tokens, as the AtMan drop uses it) and {@code
 * b_j} the additive attention bias on key {@code j} in every layer and head. Positive: attending
 * more to the token raises the answer's likelihood. To first order the AtMan drop at factor {@code
 * f} is {@code g_j log(1/f)}. One forward pass with activations kept and one bias-only backward (no
 * weight gradients) per batch of rows; the policy is untouched.
 */
public final class GradientAttribution {
    private GradientAttribution() {
    }

    /**
     * Per completion, {@code dl/db_j} for each of its CoT tokens: {@code sequences.get(i)} is prompt
     * + completion, ending where {@code spans.get(i).answerEnd()} says; {@code maxRowsPerPass}
     * completions per pass, each row's result independent of the others.
     */
    public static List<double[]> of(LlamaModel model, List<int[]> sequences, List<CompletionSpans> spans,
                                    int maxRowsPerPass) {
        if (maxRowsPerPass < 1) throw new IllegalArgumentException("maxRowsPerPass must be >= 1, got " + maxRowsPerPass);
        List<double[]> out = new ArrayList<>(sequences.size());
        for (int from = 0; from < sequences.size(); from += maxRowsPerPass) {
            int to = Math.min(sequences.size(), from + maxRowsPerPass);
            ScoringRows rows = new ScoringRows(sequences.subList(from, to), spans.subList(from, to));
            try (ForwardPass fp = model.forwardAtTargets(rows.answers, null, null);
                 Gradients g = fp.backward(rows.answerSumWeights(), false, true)) {
                for (int r = 0; r < rows.rows; r++) out.add(rows.onCot(g.bias(), r));
            }
        }
        return out;
    }
}
