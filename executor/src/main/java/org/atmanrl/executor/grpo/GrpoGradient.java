package org.atmanrl.executor.grpo;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.model.lora.LoraDropout;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The task side of a GRPO step: a forward pass of the policy over a {@link GrpoBatch}, the
 * per-token terms ({@link GrpoLoss}), a backward pass, and the result as an additive
 * {@link GradientContribution}.
 *
 * <p><b>Micro-batches</b> ({@link GrpoConfig#microBatchRows}, docs/design.md 6.1): when a task has
 * more rows than that, its rows are cut into consecutive ranges, each padded only to its own
 * longest row, and each range runs its own forward and backward pass; the gradient sums are added
 * in row order, left to right, in the policy's data type, and become a float contribution once. The
 * loss terms are sums (never divided here), so a split changes nothing but rounding: the
 * normaliser is the sum of every row's contribution and the driver divides once. Advantages were
 * computed beforehand from all rewards, so no range needs another. Peak activation memory is one
 * range's; the gradient sums take two parameter-sized arrays (the running sum and a range's)
 * instead of one.
 */
public final class GrpoGradient {
    private GrpoGradient() {}

    /**
     * A task's gradient sums in the policy's data type with its loss sums, before they become a
     * float {@link GradientContribution}: the whole model's, or only the adapters' when the policy
     * has LoRA adapters (docs/design.md 3.4); closing frees the gradients.
     */
    record Sums(Gradients gradients, GrpoSums sums) implements AutoCloseable {
        /** The gradients of the tensors that train, in checkpoint order. */
        Map<String, INDArray> named() {
            return gradients.adapters() != null ? gradients.adapters().named() : gradients.weights().named();
        }

        GradientContribution contribution(GrpoConfig.Aggregation aggregation) {
            return GradientContribution.of(aggregation, named(), sums);
        }

        @Override
        public void close() {
            gradients.close();
        }
    }

    /**
     * @param policy      the current policy {@code π_θ}
     * @param oldLogProbs {@code log π_old} per cell, as the old policy scored {@code batch.tokens()};
     *                    null when on-policy ({@code μ = 1}, the first update after generation)
     * @param refLogProbs {@code log π_ref} per cell; needed only when {@code β > 0}
     */
    public static GradientContribution compute(LlamaModel policy, GrpoConfig config, GrpoBatch batch,
                                               Advantages advantages, double[] oldLogProbs, double[] refLogProbs) {
        return compute(policy, config, batch, advantages, oldLogProbs, refLogProbs, null);
    }

    /**
     * As above, with LoRA dropout on the adapters' branches ({@code dropout}'s row keys are the
     * batch's rows; a micro-batch takes its range of them), or null for none.
     */
    public static GradientContribution compute(LlamaModel policy, GrpoConfig config, GrpoBatch batch,
                                               Advantages advantages, double[] oldLogProbs, double[] refLogProbs,
                                               LoraDropout dropout) {
        try (Sums s = sums(policy, config, batch, advantages, oldLogProbs, refLogProbs, dropout)) {
            return s.contribution(config.aggregation());
        }
    }

    /**
     * As above, from a forward pass of the policy over all of {@code batch.tokens()} that was run
     * already (to share it with saliency, docs/design.md 2.6), so in one pass whatever
     * {@link GrpoConfig#microBatchRows} says; closes it.
     */
    public static GradientContribution compute(ForwardPass forward, GrpoConfig config, GrpoBatch batch,
                                               Advantages advantages, double[] oldLogProbs, double[] refLogProbs) {
        try (Sums s = sums(forward, config, batch, advantages, oldLogProbs, refLogProbs)) {
            return s.contribution(config.aggregation());
        }
    }

    /** The sums of {@link #compute(LlamaModel, GrpoConfig, GrpoBatch, Advantages, double[], double[])}, in micro-batches. */
    static Sums sums(LlamaModel policy, GrpoConfig config, GrpoBatch batch, Advantages advantages,
                     double[] oldLogProbs, double[] refLogProbs) {
        return sums(policy, config, batch, advantages, oldLogProbs, refLogProbs, null);
    }

    static Sums sums(LlamaModel policy, GrpoConfig config, GrpoBatch batch, Advantages advantages,
                     double[] oldLogProbs, double[] refLogProbs, LoraDropout dropout) {
        int rows = batch.completions();
        if (!config.splits(rows)) {
            return sums(pass(policy, batch.tokens(), dropout, 0, rows), config, batch, advantages, oldLogProbs,
                    refLogProbs);
        }
        int perPass = config.rowsPerPass(rows);
        Sums gradients = null;
        try {
            for (int from = 0; from < rows; from += perPass) {
                GrpoBatch part = batch.rows(from, Math.min(rows, from + perPass));
                double[] old = oldLogProbs == null ? null : batch.cellsOfPart(oldLogProbs, from, part);
                double[] ref = refLogProbs == null ? null : batch.cellsOfPart(refLogProbs, from, part);
                try (ForwardPass fp = pass(policy, part.tokens(), dropout, from, from + part.completions())) {
                    // the groups are the task's, counted with its first range only
                    GrpoLoss.Terms terms = GrpoLoss.evaluate(config, part, fp.logProbs(), old, ref, advantages, from,
                            from == 0);
                    Sums g = new Sums(fp.backward(terms.cellWeights(), true, false), terms.sums());
                    if (gradients == null) {
                        gradients = g;
                    } else {
                        try (g) {
                            addInto(gradients.named(), g.named());
                        }
                        gradients = new Sums(gradients.gradients(), gradients.sums().plus(g.sums()));
                    }
                }
            }
        } catch (RuntimeException e) {
            if (gradients != null) gradients.close();
            throw e;
        }
        return gradients;
    }

    /** The gradient's pass over rows {@code [from, to)}: with the adapters' dropout when there is one. */
    private static ForwardPass pass(LlamaModel policy, TokenBatch tokens, LoraDropout dropout, int from, int to) {
        if (dropout == null) return policy.forward(tokens, null);
        long[] keys = dropout.rowKeys();
        return policy.trainingPass(tokens, null, new LoraDropout(dropout.seed(), Arrays.copyOfRange(keys, from, to)));
    }

    /** The sums of one forward pass over all of {@code batch}; closes it. */
    static Sums sums(ForwardPass forward, GrpoConfig config, GrpoBatch batch, Advantages advantages,
                     double[] oldLogProbs, double[] refLogProbs) {
        try (ForwardPass fp = forward) {
            GrpoLoss.Terms terms = GrpoLoss.evaluate(config, batch, fp.logProbs(), oldLogProbs, refLogProbs, advantages);
            return new Sums(fp.backward(terms.cellWeights(), true, false), terms.sums());
        }
    }

    /** {@code sum += part}, tensor by tensor (a tied head is the embedding, added once). */
    private static void addInto(Map<String, INDArray> sum, Map<String, INDArray> part) {
        Iterator<INDArray> p = part.values().iterator();
        for (INDArray s : sum.values()) s.addi(p.next());
    }

    /** {@code log p} per cell of the batch under {@code model}: how old and reference log-probabilities are made. */
    public static double[] logProbs(LlamaModel model, GrpoBatch batch) {
        return model.logProbs(batch.tokens(), null);
    }

    /**
     * As above in the micro-batches of {@code config}, the same ranges the gradient runs in, so that
     * at the first update {@code log π_θ} and {@code log π_old} are the same numbers. Cells a range
     * does not reach are padding, 0 as a pass gives them.
     */
    public static double[] logProbs(LlamaModel model, GrpoBatch batch, GrpoConfig config) {
        int rows = batch.completions();
        if (!config.splits(rows)) {
            return logProbs(model, batch);
        }
        int perPass = config.rowsPerPass(rows);
        double[] out = new double[batch.cells()];
        for (int from = 0; from < rows; from += perPass) {
            GrpoBatch part = batch.rows(from, Math.min(rows, from + perPass));
            batch.putPart(model.logProbs(part.tokens(), null), part, from, out);
        }
        return out;
    }
}
