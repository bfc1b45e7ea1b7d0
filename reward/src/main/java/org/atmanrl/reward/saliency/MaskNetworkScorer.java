package org.atmanrl.reward.saliency;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atmanrl.model.AttentionBias;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.PromptPrefix;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Saliency with the mask network's masks (docs/design.md 2.6) instead of fitted ones: per pass
 * of rows, one unbiased forward pass gives l_full and the hidden states the head reads; the head
 * predicts theta; one forward pass with the CoT suppressed gives l_none; one forward and
 * bias-only backward pass under the objective's bias gives the objective, its gradient with
 * respect to theta and (preservation) l_mask. The last two read the rows' prompt prefix, computed
 * once per pass (docs/design.md 2.2, "Prefix reuse"). The head's gradient sums follow from dL/dtheta by
 * {@link MaskHead#gradient}; nothing flows into the policy. Three forward passes and one backward
 * pass per batch, against {@code 3 + K} forward and K backward passes for a fit.
 */
public final class MaskNetworkScorer {
    private final MaskFitter passes;
    private final MaskHead head;

    /** Uses {@code model}'s passes and {@code config}'s objective, lambda, epsilon and reward form. */
    public MaskNetworkScorer(LlamaModel model, SaliencyConfig config, MaskHead head) {
        this.passes = new MaskFitter(model, config);
        this.head = head;
    }

    /**
     * Scores and, when asked for, the head's additive share of a step: the gradient sums
     * {@code sum_rows dL_row/dparams} (null when not asked for), the objective summed over rows
     * and the number of rows.
     */
    public record Batch(MaskFitter.Batch scores, NamedArrays gradientSums, double objectiveSum, long rows) {
    }

    /** Rows as {@link MaskFitter#score} takes them, in passes of {@link SaliencyConfig#maxRowsPerPass}. */
    public Batch score(List<int[]> sequences, List<CompletionSpans> spans, boolean withGradient) {
        return score(sequences, spans, withGradient, null, null);
    }

    /**
     * As {@link #score(List, List, boolean)}, reading l_full and the hidden states from
     * {@code shared} (row {@code k} is its batch row {@code batchRows[k]}) instead of a forward
     * pass of their own, when it is given.
     */
    public Batch score(List<int[]> sequences, List<CompletionSpans> spans, boolean withGradient,
                       SharedForward shared, int[] batchRows) {
        SaliencyConfig config = passes.config;
        List<SaliencyScore> out = new ArrayList<>(sequences.size());
        NamedArrays gradient = null;
        double objective = 0;
        for (int from = 0; from < sequences.size(); from += config.maxRowsPerPass()) {
            int to = Math.min(sequences.size(), from + config.maxRowsPerPass());
            ScoringRows rows = new ScoringRows(sequences.subList(from, to), spans.subList(from, to));
            Unbiased unbiased = shared == null ? ownPass(rows) : shared.pass(rows, batchRows, from);
            Pass p = scorePass(rows, unbiased, withGradient);
            out.addAll(p.scores);
            objective += p.objective;
            if (withGradient) gradient = gradient == null ? p.gradient : gradient.plus(p.gradient);
        }
        if (withGradient && gradient == null) {
            gradient = NamedArrays.zeros(MaskHead.shapes(head.hiddenSize(), head.rank(), head.attentionFeatures()));
        }
        return new Batch(passes.batch(out), gradient, objective, sequences.size());
    }

    private record Pass(List<SaliencyScore> scores, NamedArrays gradient, double objective) {
    }

    /**
     * The unbiased pass the head reads: log-probabilities per cell, final hidden states
     * {@code [rows * length, D]} and the answer's attention to every cell per layer and head
     * {@code [rows * length, F]} ({@code ForwardPass.attentionFrom}); the arrays are the receiver's.
     */
    record Unbiased(double[] logProbs, INDArray hidden, INDArray attention) {
    }

    /** One kept unbiased forward pass of the rows themselves. */
    private Unbiased ownPass(ScoringRows rows) {
        try (ForwardPass fp = passes.model.forward(rows.batch, null);
             INDArray queries = rows.answerQueryWeights(passes.model.dataType())) {
            return new Unbiased(fp.logProbs(), fp.hidden().dup('c'), fp.attentionFrom(queries));
        }
    }

    private Pass scorePass(ScoringRows rows, Unbiased unbiased, boolean withGradient) {
        SaliencyConfig config = passes.config;
        LlamaModel model = passes.model;
        DataType dt = model.dataType();
        boolean deletion = config.objective() == SaliencyConfig.MaskObjective.DELETION;
        double[] lFull = rows.answerLogLikelihood(unbiased.logProbs());
        try (INDArray hidden = unbiased.hidden(); INDArray cot = rows.cotMask(dt);
             INDArray inverseN = rows.inverseCotLengths(dt);
             INDArray lengths = rows.rowLengthPerCell(dt);
             MaskHead.Inputs in = new MaskHead.Inputs(hidden, rows.delimiterCells(),
                     unbiased.attention().muliColumnVector(lengths), cot);
             INDArray theta = head.theta(in); PromptPrefix prefix = passes.promptPrefix(rows)) {
            double[] lNone = passes.suppressedLogLikelihood(rows, cot, prefix);
            double[] lObjective;
            NamedArrays gradient = null;
            if (withGradient) {
                MaskFitter.ObjectiveGradient g = passes.gradient(rows, theta, cot, inverseN, prefix);
                lObjective = rows.answerLogLikelihood(g.logProbs());
                Map<String, INDArray> sums = head.gradient(in, g.thetaGradient());
                gradient = NamedArrays.of(sums);
                sums.values().forEach(INDArray::close);
                g.thetaGradient().close();
            } else {
                lObjective = biasedLogLikelihood(rows, deletion ? theta.neg() : theta.dup(), cot, prefix);
            }
            double[] lMask = deletion ? biasedLogLikelihood(rows, theta.dup(), cot, prefix) : lObjective;
            List<SaliencyScore> scores = passes.scores(rows, theta, lFull, lNone, lMask);
            double objective = 0;
            for (int r = 0; r < rows.rows; r++) {
                objective += SaliencyTerms.objective(config.objective(), lObjective[r], rows.spans.get(r).answerLength(),
                        scores.get(r).coverage(), config.lambda());
            }
            return new Pass(scores, gradient, objective);
        }
    }

    /** Each row's answer log-likelihood under {@code b = log sigmoid(t)} on its CoT; closes {@code t}. */
    private double[] biasedLogLikelihood(ScoringRows rows, INDArray t, INDArray cot, PromptPrefix prefix) {
        try (t; INDArray bias = AttentionBias.fromTheta(t, cot)) {
            return rows.answerLogLikelihood(passes.model.logProbs(rows.batch, bias, prefix));
        }
    }
}
