package org.atmanrl.executor.grpo;

/**
 * One task's share of the aggregated GRPO loss: per-token terms from {@link GrpoObjective}, weighted
 * by the aggregation's per-completion factor {@code f_i} and summed, never divided (the driver
 * divides once by the merged normaliser; see {@link GrpoConfig.Aggregation}).
 *
 * <p><b>Sign of the cell weights.</b> {@link org.atmanrl.model.ForwardPass#backward} returns the
 * gradient of {@code Σ_cells w·log p(target)}. The cell weight of completion {@code i}'s token
 * {@code t} is {@code w = f_i · d ℓ_{i,t} / d ℓ_θ} (for an unclipped token without KL that is
 * {@code −f_i·ρ·A_i}), so that backward's result is the gradient of the <em>summed loss</em>
 * {@code S = Σ_i f_i Σ_t ℓ_{i,t}}, which the optimizer descends; {@code S / Z} is the loss. Prompt,
 * padding and dropped-completion cells get weight 0.
 */
public final class GrpoLoss {
    private GrpoLoss() {}

    /**
     * @param cellWeights weights for {@code backward}, one per cell of {@link GrpoBatch#tokens()}
     * @param sums        the task's additive loss sum, normaliser, counts and metric sums
     */
    public record Terms(double[] cellWeights, GrpoSums sums) {}

    /**
     * @param logProbs    {@code log π_θ} per cell of the batch (from the forward pass being differentiated)
     * @param oldLogProbs {@code log π_old} per cell, or null for on-policy ({@code μ = 1}): the old
     *                    policy is then {@code π_θ} itself, held fixed, and {@code ρ = 1}
     * @param refLogProbs {@code log π_ref} per cell; required when {@code β > 0}, ignored otherwise
     * @param advantages  one per completion (row), with the included flags and group counts
     */
    public static Terms evaluate(GrpoConfig config, GrpoBatch batch, double[] logProbs, double[] oldLogProbs,
                                 double[] refLogProbs, Advantages advantages) {
        if (advantages.completions() != batch.completions()) {
            throw new IllegalArgumentException(advantages.completions() + " advantages for "
                    + batch.completions() + " completions");
        }
        return evaluate(config, batch, logProbs, oldLogProbs, refLogProbs, advantages, 0, true);
    }

    /**
     * As above for a micro-batch: {@code batch}'s row {@code i} is row {@code firstRow + i} of the
     * task's {@code advantages}. The group counts enter the sums only with {@code countGroups}, so
     * that a task's micro-batches count its groups once.
     */
    static Terms evaluate(GrpoConfig config, GrpoBatch batch, double[] logProbs, double[] oldLogProbs,
                          double[] refLogProbs, Advantages advantages, int firstRow, boolean countGroups) {
        int cells = batch.cells();
        check("log-probabilities", logProbs, cells);
        if (oldLogProbs == null) {
            oldLogProbs = logProbs;
        } else {
            check("old log-probabilities", oldLogProbs, cells);
        }
        if (config.needsReference()) {
            if (refLogProbs == null) {
                throw new IllegalArgumentException("beta = " + config.beta() + " needs reference log-probabilities");
            }
            check("reference log-probabilities", refLogProbs, cells);
        }
        if (firstRow < 0 || firstRow + batch.completions() > advantages.completions()) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + batch.completions())
                    + ") of " + advantages.completions() + " advantages");
        }
        GrpoConfig.Aggregation agg = config.aggregation();
        int maxLen = config.maxCompletionLength();
        double[] weights = new double[cells];
        double lossSum = 0, normaliser = 0, ratioSum = 0, k3Sum = 0;
        long tokens = 0, completions = 0, low = 0, high = 0;
        for (int i = 0; i < batch.completions(); i++) {
            if (!advantages.included(firstRow + i)) continue;
            int len = batch.completionLength(i);
            if (agg == GrpoConfig.Aggregation.DR_GRPO && len > maxLen) {
                throw new IllegalArgumentException("completion " + (firstRow + i) + " has " + len
                        + " tokens, more than maxCompletionLength " + maxLen + " that dr_grpo divides by");
            }
            double f = agg.sequenceFactor(len);
            double a = advantages.value(firstRow + i);
            double completionLoss = 0;
            for (int k = 0, c = batch.firstCell(i); k < len; k++, c++) {
                GrpoObjective.TokenTerm t = GrpoObjective.token(config, logProbs[c], oldLogProbs[c],
                        refLogProbs == null ? Double.NaN : refLogProbs[c], a);
                completionLoss += t.loss();
                weights[c] = f * t.dLossDLogProb();
                ratioSum += t.ratio();
                k3Sum += t.k3();
                if (t.clippedLow()) low++;
                if (t.clippedHigh()) high++;
            }
            lossSum += f * completionLoss;
            normaliser += agg.normaliserContribution(len, maxLen);
            tokens += len;
            completions++;
        }
        GrpoSums sums = countGroups
                ? new GrpoSums(lossSum, normaliser, tokens, completions, ratioSum, k3Sum, low, high,
                        advantages.groups(), advantages.zeroVarianceGroups(), advantages.droppedGroups())
                : new GrpoSums(lossSum, normaliser, tokens, completions, ratioSum, k3Sum, low, high, 0, 0, 0);
        return new Terms(weights, sums);
    }

    private static void check(String what, double[] a, int cells) {
        if (a.length != cells) {
            throw new IllegalArgumentException(what + ": need one per cell (" + cells + "), got " + a.length);
        }
    }
}
