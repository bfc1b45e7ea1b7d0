package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The keys and values (after RoPE) of every layer for the first {@link #length()} cells of every
 * row of a batch, computed once so that later passes over the same rows compute only the cells
 * after them (docs/design.md 2.2, "Prefix reuse"). An attention bias that is zero on those cells
 * cannot change their activations (attention is causal), so a mask fit whose bias sits on CoT keys
 * after the prompt reads the prompt's keys and values from here in every one of its passes.
 *
 * <p>Made by {@link LlamaModel#prefix}; passed to {@link LlamaModel#forward(TokenBatch, INDArray,
 * PromptPrefix)} and {@link LlamaModel#logProbs(TokenBatch, INDArray, PromptPrefix)} with a batch
 * whose first {@code length} cells are these (the cells after them may differ). Close it to free
 * the keys and values. Not thread-safe, as the model is not.
 */
public final class PromptPrefix implements AutoCloseable {
    private final LlamaModel model;
    private final TokenBatch cells;
    private final KvCache cache;

    PromptPrefix(LlamaModel model, TokenBatch cells, KvCache cache) {
        this.model = model;
        this.cells = cells;
        this.cache = cache;
    }

    /** Cells per row before the ones a prefixed pass computes. */
    public int length() { return cells.length(); }

    public int batch() { return cells.batch(); }

    KvCache cache() { return cache; }

    /**
     * The first {@code n} rows of this prefix as a prefix of their own, for a pass over those rows
     * alone: their keys and values copied. Close both.
     */
    public PromptPrefix firstRows(int n) {
        TokenBatch rows = cells.firstRows(n);
        int layers = model.config().numHiddenLayers(), p = length();
        KvCache copy = model.newCache(n, p);
        try {
            copy.advance(rows);
            for (int i = 0; i < layers; i++) {
                KvCache.Layer l = cache.layer(i);
                copy.layer(i).append(firstRowsOf(l.keys(p), n), firstRowsOf(l.values(p), n), 0);
            }
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        return new PromptPrefix(model, rows, copy);
    }

    /** Rows {@code [0, n)} of {@code [B, KV, T, hd]}: a view. */
    private static INDArray firstRowsOf(INDArray a, int n) {
        return a.get(NDArrayIndex.interval(0, n), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /**
     * The cells of {@code tb} after this prefix, for a pass of {@code model} with {@code bias}
     * ({@code [B, T]} or null). Refuses a batch whose first cells are not this prefix's, a bias
     * that is not zero on them (their keys and values were computed without it), and another model.
     */
    TokenBatch suffixOf(LlamaModel model, TokenBatch tb, INDArray bias) {
        if (model != this.model) {
            throw new IllegalArgumentException("this prompt prefix was computed by another model");
        }
        int p = length();
        if (tb.batch() != batch() || tb.length() <= p) {
            throw new IllegalArgumentException("a batch of " + batch() + " rows longer than the prefix's " + p
                    + " cells is needed, got " + tb.batch() + " x " + tb.length());
        }
        for (int r = 0; r < batch(); r++) {
            for (int t = 0; t < p; t++) {
                if (tb.id(r, t) != cells.id(r, t) || tb.position(r, t) != cells.position(r, t)
                        || tb.valid(r, t) != cells.valid(r, t)) {
                    throw new IllegalArgumentException("cell (" + r + ", " + t + ") of the batch is not the prefix's");
                }
            }
        }
        if (bias != null && bias.rank() == 2 && bias.size(1) > p) {
            INDArray onPrefix = bias.get(NDArrayIndex.all(), NDArrayIndex.interval(0, p));
            if (onPrefix.amaxNumber().doubleValue() != 0) {
                throw new IllegalArgumentException("the attention bias must be 0 on the prefix's " + p
                        + " cells of every row");
            }
        }
        return tb.columns(p, tb.length());
    }

    @Override
    public void close() {
        cache.close();
    }
}
