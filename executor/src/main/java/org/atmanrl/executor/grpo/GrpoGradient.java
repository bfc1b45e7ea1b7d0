package org.atmanrl.executor.grpo;

import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaModel;

/**
 * The task side of a GRPO step: one forward pass of the policy over a {@link GrpoBatch}, the
 * per-token terms ({@link GrpoLoss}), one backward pass, and the result as an additive
 * {@link GradientContribution}. A task may split its completions into micro-batches (whole groups
 * or not: advantages are computed beforehand) and {@linkplain GradientContribution#merge merge} the
 * pieces in order; the sums are the same up to rounding.
 */
public final class GrpoGradient {
    private GrpoGradient() {}

    /**
     * @param policy      the current policy {@code π_θ}
     * @param oldLogProbs {@code log π_old} per cell, as the old policy scored {@code batch.tokens()};
     *                    null when on-policy ({@code μ = 1}, the first update after generation)
     * @param refLogProbs {@code log π_ref} per cell; needed only when {@code β > 0}
     */
    public static GradientContribution compute(LlamaModel policy, GrpoConfig config, GrpoBatch batch,
                                               Advantages advantages, double[] oldLogProbs, double[] refLogProbs) {
        return compute(policy.forward(batch.tokens(), null), config, batch, advantages, oldLogProbs, refLogProbs);
    }

    /**
     * As above, from a forward pass of the policy over {@code batch.tokens()} that was run already
     * (to share it with saliency, docs/design.md 2.6); closes it.
     */
    public static GradientContribution compute(ForwardPass forward, GrpoConfig config, GrpoBatch batch,
                                               Advantages advantages, double[] oldLogProbs, double[] refLogProbs) {
        try (ForwardPass fp = forward) {
            GrpoLoss.Terms terms = GrpoLoss.evaluate(config, batch, fp.logProbs(), oldLogProbs, refLogProbs, advantages);
            try (Gradients g = fp.backward(terms.cellWeights(), true, false)) {
                return GradientContribution.of(config.aggregation(), g.weights(), terms.sums());
            }
        }
    }

    /** {@code log p} per cell of the batch under {@code model}: how old and reference log-probabilities are made. */
    public static double[] logProbs(LlamaModel model, GrpoBatch batch) {
        return model.logProbs(batch.tokens(), null);
    }
}
