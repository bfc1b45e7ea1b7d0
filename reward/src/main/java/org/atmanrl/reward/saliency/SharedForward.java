package org.atmanrl.reward.saliency;

import org.atmanrl.model.ForwardPass;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The policy's unbiased forward pass over a larger batch, reused for saliency instead of a pass
 * of its own (docs/design.md 2.6): the GRPO step's kept forward pass over all of a task's
 * completions, laid out as {@code TokenBatch.forScoring} (right-padded, cell {@code t} of a row
 * holds token {@code t}). Causal attention makes a cell's state depend only on its own row's
 * earlier tokens, so the scored rows' cells are the same cells of their batch rows.
 *
 * @param forward a kept pass, not closed here (its owner runs the backward on it afterwards)
 */
public record SharedForward(ForwardPass forward) {

    /**
     * The unbiased pass of {@code rows}, whose row {@code k} is batch row {@code batchRows[k]}, with
     * their prompt prefix read from the pass's kept keys and values.
     */
    MaskNetworkScorer.Unbiased pass(ScoringRows rows, int[] batchRows) {
        int length = forward.batch().length(), batch = forward.batch().batch();
        if (rows.length > length) {
            throw new IllegalArgumentException("scored rows of " + rows.length + " cells in a batch of " + length);
        }
        double[] all = forward.logProbs();
        double[] lp = new double[rows.rows * rows.length];
        int[] cells = new int[rows.rows * rows.length];
        double[] queries = new double[batch * length];
        for (int k = 0; k < rows.rows; k++) {
            int base = batchRows[k] * length;
            for (int t = 0; t < rows.length; t++) {
                cells[k * rows.length + t] = base + t;
                lp[k * rows.length + t] = all[base + t];
            }
            CompletionSpans s = rows.spans.get(k);
            for (int t = s.answerStart() - 1; t < s.answerEnd() - 1; t++) queries[base + t] = 1.0 / s.answerLength();
        }
        INDArray hidden = Nd4j.pullRows(forward.hidden(), 1, cells);
        try (INDArray w = Nd4j.create(queries, new long[] {batch, length}, 'c');
             INDArray attention = forward.attentionFrom(w)) {
            return new MaskNetworkScorer.Unbiased(lp, hidden, Nd4j.pullRows(attention, 1, cells),
                    MaskNetworkScorer.prefixOf(forward, rows, batchRows));
        }
    }
}
