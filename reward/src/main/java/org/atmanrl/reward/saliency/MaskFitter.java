package org.atmanrl.reward.saliency;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atmanrl.model.AttentionBias;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.PromptPrefix;
import org.atmanrl.model.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits the AtMan mask of docs/design.md 2.2 for many completions at once and scores them. Each
 * completion (one row) has its own {@code theta} over its CoT; every Adam step is one forward and
 * one backward pass for the whole batch, with the policy frozen (the backward skips weight GEMMs
 * and returns only the bias gradient). Positions outside a CoT have zero gradient and no bias.
 *
 * <p>Preservation objective (default), per row:
 * {@code L(theta) = -(1/|a|) sum_t log p(a_t; b(theta)) + lambda (1/n) sum_j m_j},
 * {@code b = log sigmoid(theta)}. Deletion game: {@code +(1/|a|) sum_t log p(a_t; log(1 - m)) +
 * lambda (1/n) sum_j m_j}, the least CoT whose removal loses the answer.
 *
 * <p>The bias sits on CoT keys only, after every row's prompt, so the cells before the rows'
 * earliest CoT (or answer) are computed once per pass of rows, as a {@link PromptPrefix}, and every
 * Adam step and likelihood reads their keys and values (docs/design.md 2.2, "Prefix reuse").
 */
public final class MaskFitter {
    private static final Logger LOG = LoggerFactory.getLogger(MaskFitter.class);
    /**
     * Masks whose 90th percentile is within this of their median have collapsed
     * (docs/design.md 2.2).
     */
    static final double COLLAPSE_SPREAD = 0.02;

    final LlamaModel model;
    final SaliencyConfig config;
    private final boolean reusePrefix;

    public MaskFitter(LlamaModel model, SaliencyConfig config) {
        this(model, config, true);
    }

    private MaskFitter(LlamaModel model, SaliencyConfig config, boolean reusePrefix) {
        this.model = model;
        this.config = config;
        this.reusePrefix = reusePrefix;
    }

    /**
     * A fitter whose every pass runs over the whole sequences, prompts included: the same results
     * up to rounding, slower; what the bench measures prefix reuse against.
     */
    public static MaskFitter withoutPrefixReuse(LlamaModel model, SaliencyConfig config) {
        return new MaskFitter(model, config, false);
    }

    /** Scores of a batch and whether its masks collapsed (median ~ 90th percentile of all m*). */
    public record Batch(List<SaliencyScore> scores, double medianMask, double p90Mask, boolean collapsed) {
    }

    /**
     * Fits and scores each completion: {@code sequences.get(i)} is prompt + completion, ending
     * where {@code spans.get(i).answerEnd()} says. Rows are processed in passes of
     * {@link SaliencyConfig#maxRowsPerPass}; each row's result does not depend on the others.
     */
    public Batch score(List<int[]> sequences, List<CompletionSpans> spans) {
        List<SaliencyScore> out = new ArrayList<>(sequences.size());
        for (int from = 0; from < sequences.size(); from += config.maxRowsPerPass()) {
            int to = Math.min(sequences.size(), from + config.maxRowsPerPass());
            out.addAll(scorePass(new ScoringRows(sequences.subList(from, to), spans.subList(from, to))));
        }
        return batch(out);
    }

    /**
     * Per row, the mask objective (docs/design.md 2.2) under the given masks over its CoT: one
     * forward pass per pass of rows. What the mask network's audit compares (docs/design.md 2.6).
     */
    public double[] objectives(List<int[]> sequences, List<CompletionSpans> spans, List<double[]> masks) {
        boolean deletion = config.objective() == SaliencyConfig.MaskObjective.DELETION;
        double[] out = new double[sequences.size()];
        for (int from = 0; from < sequences.size(); from += config.maxRowsPerPass()) {
            int to = Math.min(sequences.size(), from + config.maxRowsPerPass());
            ScoringRows rows = new ScoringRows(sequences.subList(from, to), spans.subList(from, to));
            double[] b = new double[rows.rows * rows.length];
            for (int r = 0; r < rows.rows; r++) {
                CompletionSpans s = rows.spans.get(r);
                double[] m = masks.get(from + r);
                for (int p = s.cotStart(); p < s.cotEnd(); p++) {
                    double mj = m[p - s.cotStart()];
                    b[r * rows.length + p] = Math.log(deletion ? 1 - mj : mj);
                }
            }
            double[] l;
            INDArray bias = Nd4j.create(b, new long[] {rows.rows, rows.length}, 'c');
            if (bias.dataType() != model.dataType()) {
                INDArray cast = bias.castTo(model.dataType());
                bias.close();
                bias = cast;
            }
            try (INDArray used = bias) {
                l = rows.answerLogLikelihood(model.logProbsAtTargets(rows.answers, used, null));
            }
            for (int r = 0; r < rows.rows; r++) {
                out[from + r] = SaliencyTerms.objective(config.objective(), l[r], rows.spans.get(r).answerLength(),
                        SaliencyTerms.coverage(masks.get(from + r)), config.lambda());
            }
        }
        return out;
    }

    /** The scores with the spread of all their masks, warned about when collapsed. */
    Batch batch(List<SaliencyScore> out) {
        double[] all = out.stream().flatMapToDouble(s -> Arrays.stream(s.mask())).sorted().toArray();
        double median = quantile(all, 0.5), p90 = quantile(all, 0.9);
        boolean collapsed = all.length > 0 && p90 - median < COLLAPSE_SPREAD;
        // with no fit steps every mask is sigmoid(theta0) by construction, a setting chosen on purpose
        // (r_sal = N needs no mask): still a collapse for C, but not worth a warning every step; the
        // mask network starts collapsed (it predicts theta0) and the rule of thumb is the fit's
        if (collapsed && config.steps() > 0 && !config.network()) {
            LOG.warn("saliency masks collapsed: median {} vs 90th percentile {} over {} CoT tokens;"
                    + " see docs/design.md 2.2 on theta0 - K * lr (now {} -> floor {})", median, p90, all.length,
                    config.theta0() - config.steps() * config.learningRate(), config.floor());
        }
        return new Batch(out, median, p90, collapsed);
    }

    private List<SaliencyScore> scorePass(ScoringRows rows) {
        DataType dt = model.dataType();
        try (PromptPrefix prefix = promptPrefix(rows); INDArray cot = rows.cotMask(dt);
             INDArray theta = fit(rows, cot, prefix)) {
            double[] lFull = rows.answerLogLikelihood(model.logProbsAtTargets(rows.answers, null, prefix));
            double[] lNone = suppressedLogLikelihood(rows, cot, prefix);
            double[] lMask;
            try (INDArray keep = AttentionBias.fromTheta(theta, cot)) {
                lMask = rows.answerLogLikelihood(model.logProbsAtTargets(rows.answers, keep, prefix));
            }
            return scores(rows, theta, lFull, lNone, lMask);
        }
    }

    /**
     * l_none: each row's answer log-likelihood with its whole CoT suppressed by bias log(epsilon);
     * at epsilon 0 (the default) with the CoT cut out, its limit, which is exact and computes only
     * the cells after the CoT (docs/design.md 2.2).
     */
    double[] suppressedLogLikelihood(ScoringRows rows, INDArray cot, PromptPrefix prefix) {
        if (config.epsilon() == 0) {
            TokenBatch cut = rows.withoutCot();
            return rows.answerLogLikelihoodWithoutCot(model.logProbsAtTargets(cut, null, prefix), cut.length());
        }
        try (INDArray suppressAll = cot.mul(Math.log(config.epsilon()))) {
            return rows.answerLogLikelihood(model.logProbsAtTargets(rows.answers, suppressAll, prefix));
        }
    }

    /** N, C, S and r_sal of every row from its mask logits and its three answer log-likelihoods. */
    List<SaliencyScore> scores(ScoringRows rows, INDArray theta, double[] lFull, double[] lNone, double[] lMask) {
        List<SaliencyScore> scores = new ArrayList<>(rows.rows);
        try (INDArray m = AttentionBias.mask(theta)) {
            for (int r = 0; r < rows.rows; r++) {
                double[] mask = rows.onCot(m, r);
                double n = SaliencyTerms.necessity(lNone[r], lFull[r]);
                double c = SaliencyTerms.coverage(mask);
                double s = SaliencyTerms.sufficiency(lMask[r], lFull[r]);
                scores.add(new SaliencyScore(mask, lFull[r], lNone[r], lMask[r], n, c, s,
                        SaliencyTerms.reward(config.form(), n, c, s)));
            }
        }
        return scores;
    }

    /** The rows' unbiased, unscored first cells, computed once; null when there are none or reuse is off. */
    PromptPrefix promptPrefix(ScoringRows rows) {
        int length = rows.unbiasedPrefixLength();
        return reusePrefix && length > 0 ? model.prefix(rows.batch, length) : null;
    }

    /** K steps of Adam on theta ({@code [rows, length]}, theta0 on the CoT); returns theta. */
    INDArray fit(ScoringRows rows, INDArray cot, PromptPrefix prefix) {
        DataType dt = model.dataType();
        INDArray theta = cot.mul(config.theta0());
        INDArray m1 = Nd4j.zeros(dt, rows.rows, rows.length), m2 = Nd4j.zeros(dt, rows.rows, rows.length);
        try (INDArray inverseN = rows.inverseCotLengths(dt)) {
            for (int step = 1; step <= config.steps(); step++) {
                try (INDArray g = gradient(rows, theta, cot, inverseN, prefix).thetaGradient()) {
                    adam(theta, g, m1, m2, step);
                }
            }
        } finally {
            m1.close();
            m2.close();
        }
        return theta;
    }

    /**
     * One forward and backward pass under the objective's bias: {@code dL/dtheta} for every row at
     * once (zero off the CoT; {@code prefix} may be null), and the per-cell log-probabilities of that forward pass (under
     * {@code log m} for preservation, {@code log(1 - m)} for deletion).
     */
    record ObjectiveGradient(INDArray thetaGradient, double[] logProbs) {
    }

    ObjectiveGradient gradient(ScoringRows rows, INDArray theta, INDArray cot, INDArray inverseN,
                               PromptPrefix prefix) {
        boolean deletion = config.objective() == SaliencyConfig.MaskObjective.DELETION;
        // b = log m (preservation) or log (1 - m) = log sigmoid(-theta) (deletion)
        INDArray thetaForBias = deletion ? theta.neg() : theta;
        INDArray bias = AttentionBias.fromTheta(thetaForBias, cot);
        INDArray g;
        double[] logProbs;
        try (ForwardPass fp = model.forwardAtTargets(rows.answers, bias, prefix);
             Gradients grads = fp.backward(rows.answerMeanWeights(deletion ? 1 : -1), false, true)) {
            logProbs = fp.logProbs();
            g = AttentionBias.thetaGradient(grads.bias(), thetaForBias, cot);
            if (deletion) {
                g.negi(); // d/dtheta of f(-theta)
            }
        } finally {
            bias.close();
            if (deletion) {
                thetaForBias.close();
            }
        }
        // + lambda (1/n) d m/d theta = lambda (1/n) m (1 - m), on the CoT
        try (INDArray m = AttentionBias.mask(theta)) {
            INDArray sparsity = m.rsub(1.0).muli(m).muli(cot).muliColumnVector(inverseN).muli(config.lambda());
            g.addi(sparsity);
            sparsity.close();
        }
        return new ObjectiveGradient(g, logProbs);
    }

    /** One Adam step in place (bias-corrected, no weight decay). */
    private void adam(INDArray theta, INDArray g, INDArray m1, INDArray m2, int step) {
        m1.muli(SaliencyConfig.BETA1).addi(g.mul(1 - SaliencyConfig.BETA1));
        m2.muli(SaliencyConfig.BETA2).addi(g.mul(g).muli(1 - SaliencyConfig.BETA2));
        double c1 = 1 - Math.pow(SaliencyConfig.BETA1, step), c2 = 1 - Math.pow(SaliencyConfig.BETA2, step);
        INDArray denominator = Transforms.sqrt(m2.div(c2), false).addi(SaliencyConfig.ADAM_EPS);
        theta.subi(m1.div(c1).divi(denominator).muli(config.learningRate()));
        denominator.close();
    }

    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
