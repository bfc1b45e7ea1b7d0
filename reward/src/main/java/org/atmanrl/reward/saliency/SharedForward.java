package org.atmanrl.reward.saliency;

import org.atmanrl.model.LlamaModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The policy's unbiased forward pass over a larger batch, reused for saliency instead of a pass
 * of its own (docs/design.md 2.6): the GRPO step's forward pass over all of a task's completions,
 * laid out as {@code TokenBatch.forScoring} (right-padded, cell {@code t} of a row holds token
 * {@code t}) with {@code length} cells a row. Causal attention makes a cell's state depend only on
 * its own row's earlier tokens, so the scored rows' cells are the same cells of their batch rows.
 *
 * @param logProbs per cell of the batch, {@code [rows * length]}
 * @param hidden   final hidden states {@code [rows * length, D]} (not closed here)
 * @param length   cells per row
 */
public record SharedForward(double[] logProbs, INDArray hidden, int length) {
    public SharedForward {
        if (hidden.rank() != 2 || hidden.size(0) != logProbs.length || logProbs.length % length != 0) {
            throw new IllegalArgumentException("hidden states " + java.util.Arrays.toString(hidden.shape()) + " and "
                    + logProbs.length + " log-probabilities do not make rows of " + length + " cells");
        }
    }

    /**
     * The unbiased pass of {@code rows}, whose row {@code k} is batch row {@code batchRows[from + k]}:
     * log-probabilities in the rows' own layout and a new hidden-state array the caller closes.
     */
    LlamaModel.HiddenPass pass(ScoringRows rows, int[] batchRows, int from) {
        if (rows.length > length) {
            throw new IllegalArgumentException("scored rows of " + rows.length + " cells in a batch of " + length);
        }
        double[] lp = new double[rows.rows * rows.length];
        int[] cells = new int[rows.rows * rows.length];
        for (int k = 0; k < rows.rows; k++) {
            int base = batchRows[from + k] * length;
            for (int t = 0; t < rows.length; t++) {
                cells[k * rows.length + t] = base + t;
                lp[k * rows.length + t] = logProbs[base + t];
            }
        }
        return new LlamaModel.HiddenPass(lp, Nd4j.pullRows(hidden, 1, cells));
    }
}
