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
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Saliency with the mask network's masks (docs/design.md 2.6) instead of fitted ones: per pass
 * of rows, one unbiased forward pass gives l_full, the hidden states the head reads and the rows'
 * prompt prefix (the keys and values of their unbiased first cells, docs/design.md 2.2, "Prefix
 * reuse"); the head predicts theta; one forward pass with the CoT suppressed gives l_none. The
 * rows that train the head ({@code saliency.head_rows} of them) also run one forward and bias-only
 * backward pass under the objective's bias, which gives the objective, its gradient with respect
 * to theta and (preservation) l_mask; the head's gradient sums follow from dL/dtheta by
 * {@link MaskHead#gradient}, and nothing flows into the policy. In a training step the unbiased
 * pass is the GRPO gradient's own, so a row costs one forward pass after its prompt, and a
 * training row one more forward and one backward pass, against {@code 3 + K} forward and K
 * backward passes for a fit.
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

    /**
     * Rows as {@link MaskFitter#score} takes them, in passes of {@link SaliencyConfig#maxRowsPerPass};
     * with {@code withGradient} every row trains the head, else none does and every row is scored
     * in full (l_mask and the objective by forward passes).
     */
    public Batch score(List<int[]> sequences, List<CompletionSpans> spans, boolean withGradient) {
        return score(sequences, spans, withGradient ? everyRow(sequences.size()) : null, null, null);
    }

    /**
     * The rows that train the head: {@code min(n, headRows)} of {@code n} (all when {@code headRows}
     * is 0), evenly spaced, row {@code floor(k n / m)} for {@code k < m}. A fixed rule, not a
     * random draw: the rows are already in a seeded order (problem-major, each problem's
     * completions sampled from the run seed), and any fixed choice among them is as good a sample.
     */
    public static boolean[] trainingRows(int n, int headRows) {
        int m = headRows == 0 ? n : Math.min(n, headRows);
        boolean[] train = new boolean[n];
        for (int k = 0; k < m; k++) train[(int) ((long) k * n / m)] = true;
        return train;
    }

    private static boolean[] everyRow(int n) {
        boolean[] all = new boolean[n];
        java.util.Arrays.fill(all, true);
        return all;
    }

    /**
     * Scores every row; the rows with {@code train[i]} also run the objective's forward and
     * bias-only backward pass, which gives the head's gradient sums and, for preservation, l_mask
     * (docs/design.md 2.6, "What a step pays for"). The other rows get l_full, l_none and the head's
     * mask (so N, C and r_sal), and l_mask only when the reward needs S; else their l_mask and S are
     * NaN (not measured). {@code train} null scores every row in full without a gradient.
     * l_full and the hidden states come from {@code shared} (row {@code k} is its batch row
     * {@code batchRows[k]}) when it is given, else from a forward pass of their own.
     */
    public Batch score(List<int[]> sequences, List<CompletionSpans> spans, boolean[] train,
                       SharedForward shared, int[] batchRows) {
        int n = sequences.size();
        if (train != null && train.length != n) {
            throw new IllegalArgumentException(train.length + " training flags for " + n + " rows");
        }
        // The training rows first, then the others, each in their order: a pass of rows then holds
        // its training rows first, and reads the shared pass, runs the head and l_none once for all
        // of its rows; only the objective's pass is the training rows' alone.
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) if (train == null || train[i]) order.add(i);
        int trained = order.size();
        for (int i = 0; i < n; i++) if (train != null && !train[i]) order.add(i);
        Mode mode = train == null ? Mode.EVALUATE : Mode.GRADIENT;
        SaliencyScore[] out = new SaliencyScore[n];
        NamedArrays gradient = null;
        double objective = 0;
        int perPass = passes.config.maxRowsPerPass();
        for (int from = 0; from < n; from += perPass) {
            List<Integer> part = order.subList(from, Math.min(n, from + perPass));
            List<int[]> seqs = part.stream().map(sequences::get).toList();
            List<CompletionSpans> sp = part.stream().map(spans::get).toList();
            int[] rowsInBatch = batchRows == null ? null : part.stream().mapToInt(i -> batchRows[i]).toArray();
            ScoringRows rows = new ScoringRows(seqs, sp);
            Unbiased unbiased = shared == null ? ownPass(rows) : shared.pass(rows, rowsInBatch);
            Pass p = scorePass(rows, unbiased, mode, Math.max(0, Math.min(part.size(), trained - from)));
            for (int k = 0; k < part.size(); k++) out[part.get(k)] = p.scores.get(k);
            objective += p.objective;
            if (p.gradient != null) gradient = gradient == null ? p.gradient : gradient.plus(p.gradient);
        }
        if (mode == Mode.GRADIENT && gradient == null) {
            gradient = NamedArrays.zeros(MaskHead.shapes(head.hiddenSize(), head.rank(), head.attentionFeatures()));
        }
        return new Batch(passes.batch(java.util.Arrays.asList(out)), mode == Mode.GRADIENT ? gradient : null,
                objective, trained);
    }

    /** What a pass computes for its first rows beyond l_full, l_none and the head's mask of every row. */
    private enum Mode {
        /** The objective's forward and bias-only backward: the head's gradient, the objective, l_mask. */
        GRADIENT,
        /** The objective and l_mask by forward passes, no gradient. */
        EVALUATE
    }

    private record Pass(List<SaliencyScore> scores, NamedArrays gradient, double objective) {
    }

    /**
     * The unbiased pass the head reads: log-probabilities per cell, final hidden states
     * {@code [rows * length, D]}, the answer's attention to every cell per layer and head
     * {@code [rows * length, F]} ({@code ForwardPass.attentionFrom}), and the rows' prompt prefix
     * (null when a row's CoT starts at cell 0) read from the same pass; all the receiver's to close.
     */
    record Unbiased(double[] logProbs, INDArray hidden, INDArray attention, PromptPrefix prefix) {
    }

    /** One kept unbiased forward pass of the rows themselves. */
    private Unbiased ownPass(ScoringRows rows) {
        try (ForwardPass fp = passes.model.forward(rows.batch, null);
             INDArray queries = rows.answerQueryWeights(passes.model.dataType())) {
            int[] self = java.util.stream.IntStream.range(0, rows.rows).toArray();
            return new Unbiased(fp.logProbs(), fp.hidden().dup('c'), fp.attentionFrom(queries), prefixOf(fp, rows, self));
        }
    }

    /**
     * The unbiased, unscored first cells of {@code rows} (docs/design.md 2.2, "Prefix reuse"), from
     * {@code fp}'s kept keys and values, where row {@code k} is {@code fp}'s row {@code batchRows[k]}:
     * no pass of their own (docs/design.md 2.6).
     */
    static PromptPrefix prefixOf(ForwardPass fp, ScoringRows rows, int[] batchRows) {
        int length = rows.unbiasedPrefixLength();
        return length > 0 ? fp.prefix(rows.batch, batchRows, length) : null;
    }

    /**
     * Scores every row of {@code rows}; its first {@code first} rows also run the objective's pass
     * ({@code mode}), which for preservation gives their l_mask too (docs/design.md 2.6, "What a
     * step pays for"). The other rows get l_full, l_none and the head's mask (so N, C and r_sal),
     * and l_mask only when the reward needs S, else NaN (not measured).
     */
    private Pass scorePass(ScoringRows rows, Unbiased unbiased, Mode mode, int first) {
        SaliencyConfig config = passes.config;
        DataType dt = passes.model.dataType();
        boolean deletion = config.objective() == SaliencyConfig.MaskObjective.DELETION;
        double[] lFull = rows.answerLogLikelihood(unbiased.logProbs());
        try (INDArray hidden = unbiased.hidden(); INDArray cot = rows.cotMask(dt);
             INDArray lengths = rows.rowLengthPerCell(dt);
             MaskHead.Inputs in = new MaskHead.Inputs(hidden, rows.delimiterCells(),
                     unbiased.attention().muliColumnVector(lengths), cot);
             INDArray theta = head.theta(in); PromptPrefix prefix = unbiased.prefix()) {
            double[] lNone = passes.suppressedLogLikelihood(rows, cot, prefix);
            double[] lObjective = null;
            NamedArrays gradient = null;
            if (mode == Mode.GRADIENT && first > 0) {
                Objective o = objective(rows, in, theta, prefix, first);
                lObjective = o.answerLogLikelihood();
                gradient = o.gradient();
            } else if (mode == Mode.EVALUATE) {
                lObjective = biasedLogLikelihood(rows, deletion ? theta.neg() : theta.dup(), cot, prefix);
            }
            int measured = lObjective == null ? 0 : lObjective.length; // the first rows, with the objective
            double[] lMask = new double[rows.rows];
            java.util.Arrays.fill(lMask, Double.NaN); // not measured: S is NaN on such a row
            // a biased pass for the measured rows' l_mask under deletion (their objective ran under -theta),
            // and for the others' when the reward needs S
            boolean biasedPass = (measured > 0 && deletion) || (measured < rows.rows && config.rewardNeedsSufficiency());
            double[] biased = biasedPass ? biasedLogLikelihood(rows, theta.dup(), cot, prefix) : null;
            for (int r = 0; r < rows.rows; r++) {
                if (r < measured && !deletion) {
                    lMask[r] = lObjective[r];
                } else if (biased != null && (r < measured || config.rewardNeedsSufficiency())) {
                    lMask[r] = biased[r];
                }
            }
            List<SaliencyScore> scores = passes.scores(rows, theta, lFull, lNone, lMask);
            double objective = 0;
            for (int r = 0; r < measured; r++) {
                objective += SaliencyTerms.objective(config.objective(), lObjective[r], rows.spans.get(r).answerLength(),
                        scores.get(r).coverage(), config.lambda());
            }
            return new Pass(scores, gradient, objective);
        }
    }

    private record Objective(double[] answerLogLikelihood, NamedArrays gradient) {
    }

    /**
     * The objective's forward and bias-only backward pass over the first {@code n} rows alone (their
     * own length and prompt prefix), and the head's gradient sums from its {@code dL/dtheta}.
     */
    private Objective objective(ScoringRows rows, MaskHead.Inputs in, INDArray theta, PromptPrefix prefix, int n) {
        DataType dt = passes.model.dataType();
        ScoringRows own = rows.firstRows(n);
        boolean all = own == rows;
        // for a part of the rows, their own copies of theta, the prefix and the head's inputs (null: the pass's)
        try (INDArray ownTheta = all ? null
                     : theta.get(NDArrayIndex.interval(0, n), NDArrayIndex.interval(0, own.length)).dup('c');
             INDArray cot = own.cotMask(dt); INDArray inverseN = own.inverseCotLengths(dt);
             PromptPrefix ownPrefix = all || prefix == null ? null : prefix.firstRows(n);
             MaskHead.Inputs ownIn = all ? null : in.firstRows(n)) {
            MaskFitter.ObjectiveGradient g = passes.gradient(own, all ? theta : ownTheta, cot, inverseN,
                    all ? prefix : ownPrefix);
            // dL/dtheta in the pass's layout: the part's rows, every cell of the pass (0 past their own)
            try (INDArray dTheta = g.thetaGradient(); INDArray wide = all ? null : widened(dTheta, rows.length)) {
                Map<String, INDArray> sums = head.gradient(all ? in : ownIn, all ? dTheta : wide);
                NamedArrays gradient = NamedArrays.of(sums);
                sums.values().forEach(INDArray::close);
                return new Objective(own.answerLogLikelihood(g.logProbs()), gradient);
            }
        }
    }

    /** {@code a [n, t]} with zero columns up to {@code length}: a new array. */
    private static INDArray widened(INDArray a, int length) {
        INDArray w = Nd4j.zeros(a.dataType(), a.size(0), length);
        w.get(NDArrayIndex.all(), NDArrayIndex.interval(0, a.size(1))).assign(a);
        return w;
    }

    /** Each row's answer log-likelihood under {@code b = log sigmoid(t)} on its CoT; closes {@code t}. */
    private double[] biasedLogLikelihood(ScoringRows rows, INDArray t, INDArray cot, PromptPrefix prefix) {
        try (t; INDArray bias = AttentionBias.fromTheta(t, cot)) {
            return rows.answerLogLikelihood(passes.model.logProbsAtTargets(rows.answers, bias, prefix));
        }
    }
}
