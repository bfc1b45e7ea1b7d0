package org.atmanrl.model;

import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraDropout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.TreeMap;

/**
 * One forward pass over a {@link TokenBatch}: the per-cell log-probabilities of the targets and,
 * when kept, the activations that {@link #backward} differentiates through. Close it to free them.
 *
 * <p>After a {@link PromptPrefix} the pass computes only the cells after it (docs/design.md 2.2,
 * "Prefix reuse"), but reads and returns per-cell arrays in the batch's own layout.
 */
public final class ForwardPass implements AutoCloseable {
    private final LlamaModel model;
    private final TokenBatch tb;
    /** The cells computed: {@code tb}, or its cells after a prompt prefix of {@link #offset} cells. */
    private final TokenBatch cells;
    private final int offset;
    private final INDArray bias;
    private final boolean keep;
    private final int layers;

    private Rope.Angles angles;
    private INDArray mask;
    private final INDArray[] x0, r0, x1, r1;
    private final Attention.Saved[] attn;
    private final Mlp.Saved[] mlp;
    /** Each layer's LoRA branches, null entries for a model without adapters. */
    private final LoraLayer[] lora;
    private LoraDropout dropout;
    /** The cells the last layer computes when only those with a target are (null: every cell). */
    private final TargetCells targets;
    /** That last layer's queries: their input, mask and angles, owned by this pass. */
    private Attention.Queries queries;
    private INDArray xFinal, rFinal, hn;
    private LmHead.LogZ logZ; // kept for backward
    private double[] logProbs;

    ForwardPass(LlamaModel model, TokenBatch tb, TokenBatch cells, INDArray bias, boolean keep, TargetCells targets) {
        this.model = model;
        this.targets = targets;
        this.tb = tb;
        this.cells = cells;
        this.offset = tb.length() - cells.length();
        this.bias = bias;
        this.keep = keep;
        this.layers = model.config().numHiddenLayers();
        x0 = new INDArray[layers];
        r0 = new INDArray[layers];
        x1 = new INDArray[layers];
        r1 = new INDArray[layers];
        attn = new Attention.Saved[layers];
        mlp = new Mlp.Saved[layers];
        lora = new LoraLayer[layers];
    }

    boolean keeps() { return keep; }

    /** Whether the layers kept their attention probabilities for the backward, rather than recompute them. */
    boolean keptProbabilities() {
        return attn[0] != null && !attn[0].recomputes();
    }

    /** The adapters' dropout of a training pass, or null (docs/design.md 3.4). */
    LoraDropout dropout() { return dropout; }

    void setDropout(LoraDropout dropout) {
        this.dropout = dropout;
    }

    void setInputs(Rope.Angles angles, INDArray mask) {
        this.angles = angles;
        this.mask = mask;
    }

    void saveLayer(int i, INDArray x0, INDArray r0, Attention.Saved a, INDArray x1, INDArray r1, Mlp.Saved m) {
        this.x0[i] = x0;
        this.r0[i] = r0;
        this.attn[i] = a;
        this.x1[i] = x1;
        this.r1[i] = r1;
        this.mlp[i] = m;
    }

    /** The cells with a target when the last layer computes only those, else null. */
    TargetCells targetCells() { return targets; }

    /** Keeps the last layer's queries until {@link #close}; returns them. */
    Attention.Queries saveQueries(Attention.Queries q) {
        this.queries = q;
        return q;
    }

    void saveLora(int i, LoraLayer l) {
        this.lora[i] = l;
    }

    void saveFinal(INDArray x, INDArray r, INDArray hn) {
        this.xFinal = x;
        this.rFinal = r;
        this.hn = hn;
    }

    /**
     * LM head and log-softmax in chunks of cells ({@link LmHead}); reads the target
     * log-probabilities out and, when activations are kept, keeps log Z per cell for the backward.
     */
    void head(INDArray hn) {
        LmHead.Forward f = LmHead.forward(hn, model.weights().lmHead(), headTargets(), model.headChunkCells());
        logProbs = toBatchLayout(targets == null ? f.logProbs() : targets.toCells(f.logProbs()));
        if (keep) {
            logZ = f.logZ();
        } else {
            f.logZ().release();
            Arrays2.release(hn);
        }
    }

    /** The targets of the cells the LM head reads: every computed cell's, or the target cells'. */
    private int[] headTargets() {
        return targets == null ? cells.targets() : targets.queries().targets();
    }

    /** {@code log p(target)} per cell, {@code [B * T]} row-major; 0 where there is no target or inside a prefix. */
    public double[] logProbs() {
        return logProbs.clone();
    }

    public TokenBatch batch() { return tb; }

    /**
     * The first {@code length} cells of this pass's rows {@code batchRows} as the prompt prefix of
     * {@code rows} (whose row {@code k} holds batch row {@code batchRows[k]}'s tokens in those cells):
     * every layer's keys and values after RoPE, copied from the activations this pass keeps, instead
     * of a pass of their own (docs/design.md 2.6). Causal attention makes a cell's keys and values
     * depend only on its row's earlier cells, so they are the cells {@link LlamaModel#prefix} would
     * compute, up to rounding. For a kept pass with no bias and no prefix of its own; the caller
     * closes the result.
     */
    public PromptPrefix prefix(TokenBatch rows, int[] batchRows, int length) {
        if (!keep || offset != 0 || bias != null || targets != null) {
            throw new IllegalStateException("a prompt prefix is read from a kept, unbiased pass over whole rows");
        }
        if (length < 1 || length >= rows.length() || length > tb.length() || batchRows.length != rows.batch()) {
            throw new IllegalArgumentException("a prefix of 1 to " + (Math.min(rows.length() - 1, tb.length()))
                    + " cells of " + rows.batch() + " rows is needed, got " + length + " cells of "
                    + batchRows.length + " rows");
        }
        for (int k = 0; k < batchRows.length; k++) {
            int b = batchRows[k];
            for (int t = 0; t < length; t++) {
                if (rows.id(k, t) != tb.id(b, t) || rows.position(k, t) != tb.position(b, t)
                        || rows.valid(k, t) != tb.valid(b, t)) {
                    throw new IllegalArgumentException("cell (" + k + ", " + t + ") is not cell (" + b + ", " + t
                            + ") of the pass");
                }
            }
        }
        TokenBatch prefixCells = rows.columns(0, length);
        KvCache cache = model.newCache(rows.batch(), length);
        try {
            cache.advance(prefixCells);
            for (int i = 0; i < layers; i++) {
                // keys and values [B, KV, T, hd] after RoPE: the picked rows in one gather each
                try (INDArray k = pickRows(attn[i].keys(), batchRows); INDArray v = pickRows(attn[i].values(), batchRows)) {
                    cache.layer(i).append(firstCells(k, length), firstCells(v, length), 0);
                }
            }
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        return new PromptPrefix(model, prefixCells, cache);
    }

    /** Rows {@code rows} of {@code [B, KV, T, hd]}: a new {@code [R, KV, T, hd]} array. */
    private static INDArray pickRows(INDArray a, int[] rows) {
        long[] shape = a.shape();
        boolean dense = Arrays2.flatFromStart(a);
        INDArray source = dense ? a : a.dup('c');
        // a reshape of a dense array is a view of its buffer: not closed here, the pass owns it
        INDArray picked = Nd4j.pullRows(source.reshape('c', shape[0], shape[1] * shape[2] * shape[3]), 1, rows);
        if (!dense) source.close();
        return picked.reshape('c', rows.length, shape[1], shape[2], shape[3]);
    }

    /** The first {@code length} cells of {@code [R, KV, T, hd]}: a view {@code [R, KV, length, hd]}. */
    private static INDArray firstCells(INDArray a, int length) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, length), NDArrayIndex.all());
    }

    /**
     * How much the given query cells attend to every key cell, per layer and head: {@code [B * T,
     * layers * heads]}, column {@code layer * heads + head}, row {@code b * T + key}, each the
     * {@code queryWeights}-weighted sum over query cells of the attention probability (after any
     * bias). For kept passes without a prompt prefix. The mask network's attention features
     * (docs/design.md 2.6): what the answer reads, per head, straight from the policy.
     *
     * @param queryWeights {@code [B, T]}: per row, the weight of each query cell (0 for most)
     */
    public INDArray attentionFrom(INDArray queryWeights) {
        if (!keep || offset != 0 || targets != null) {
            throw new IllegalStateException("attention features need a kept pass of every cell without a prompt prefix");
        }
        int b = tb.batch(), t = tb.length(), heads = model.config().numAttentionHeads();
        if (queryWeights.rank() != 2 || queryWeights.size(0) != b || queryWeights.size(1) != t) {
            throw new IllegalArgumentException("query weights must be [" + b + ", " + t + "], got "
                    + java.util.Arrays.toString(queryWeights.shape()));
        }
        INDArray[] perLayer = new INDArray[layers];
        try (INDArray w4 = Nd4j.tile(queryWeights.castTo(model.dataType()).reshape('c', b, 1, 1, t), 1, heads, 1, 1)) {
            for (int i = 0; i < layers; i++) {
                // probs [B, KV, G*T, T] holds group member g's queries as rows g*T..g*T+T-1: [B, H, T, T]
                INDArray probs = Attention.probabilities(attn[i]);
                INDArray p = probs.reshape('c', b, heads, t, t);
                try (INDArray read = Nd4j.matmul(w4, p)) {                        // [B, H, 1, T]
                    perLayer[i] = read.reshape('c', b, heads, t).permute(0, 2, 1).dup('c').reshape('c', (long) b * t, heads);
                }
                if (attn[i].recomputes()) {
                    Arrays2.release(probs); // one layer's probabilities at a time
                }
            }
        }
        if (layers == 1) {
            return perLayer[0];
        }
        INDArray out = Nd4j.concat(1, perLayer);
        Arrays2.release(perLayer);
        return out;
    }

    /**
     * The final hidden states {@code [B * T, D]} (after the final RMSNorm) that the LM head read:
     * the live array, valid until {@link #backward} or {@link #close}; only kept passes have it.
     */
    public INDArray hidden() {
        if (!keep || hn == null || targets != null) {
            throw new IllegalStateException("this forward pass kept no hidden states of every cell");
        }
        return hn;
    }

    /**
     * Gradients of {@code sum_cells w * log p(target)}.
     *
     * <p>For a model with LoRA adapters the base weights are frozen: {@code weightGradients} then
     * asks for the adapters' gradients ({@link Gradients#adapters}, PEFT's names and shapes) and no
     * base weight gets a gradient array (docs/design.md 3.4); the bias gradient runs through the
     * adapted projections either way.
     *
     * @param weights         per-cell weights {@code [B * T]} (cells without a target must have 0)
     * @param weightGradients whether to compute gradients of every trainable weight (the adapters'
     *                        only, when the model has them)
     * @param biasGradient    whether to compute the gradient of the attention bias {@code [B, T]}
     */
    public Gradients backward(double[] weights, boolean weightGradients, boolean biasGradient) {
        if (!keep) {
            throw new IllegalStateException("this forward pass kept no activations");
        }
        if (logZ == null) {
            throw new IllegalStateException("backward has already run on this forward pass");
        }
        if (weights.length != tb.tokens()) {
            throw new IllegalArgumentException("need " + tb.tokens() + " cell weights, got " + weights.length);
        }
        for (int i = 0; i < weights.length; i++) {
            if (tb.targets()[i] == TokenBatch.IGNORE && weights[i] != 0) {
                throw new IllegalArgumentException("cell " + i + " has no target but weight " + weights[i]);
            }
            if (i % tb.length() < offset && weights[i] != 0) {
                throw new IllegalArgumentException("cell " + i + " is inside the prompt prefix but has weight " + weights[i]);
            }
        }
        if (offset > 0 && weightGradients) {
            throw new IllegalArgumentException("a pass after a prompt prefix gives the attention bias's gradient only");
        }
        weights = ownCells(weights);
        LlamaWeights w = model.weights();
        LlamaConfig c = model.config();
        DataType dt = w.dataType();
        LoraAdapters adapters = model.adapters();
        LlamaWeights g = weightGradients && adapters == null ? w.zerosLike() : null;
        LoraAdapters ag = weightGradients && adapters != null ? adapters.zerosLike() : null;
        INDArray biasGrad = biasGradient ? Nd4j.zeros(dt, tb.batch(), tb.length()) : null;

        INDArray dhn = LmHead.backward(hn, w.lmHead(), logZ, headTargets(), targets == null ? weights
                : targets.toSlots(weights), g == null ? null : g.lmHead(), model.headChunkCells());
        logZ.release();
        logZ = null;
        Arrays2.release(hn);
        INDArray dx = RmsNorm.backward(dhn, xFinal, w.norm(), rFinal, g == null ? null : g.norm());
        Arrays2.release(dhn);

        Attention.Dims dims = new Attention.Dims(cells.batch(), cells.length(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim());
        for (int i = layers - 1; i >= 0; i--) {
            LayerWeights lw = w.layer(i);
            LayerWeights lg = g == null ? null : g.layer(i);
            INDArray dxn1 = Mlp.backward(dx, mlp[i], lw, lg, lora[i], ag);
            INDArray dPost = RmsNorm.backward(dxn1, x1[i], lw.postNorm(), r1[i], lg == null ? null : lg.postNorm());
            dx.addi(dPost);
            Arrays2.release(dxn1, dPost);
            boolean needInput = g != null || i > 0;
            INDArray dxn0 = Attention.backward(dx, attn[i], lw, dims, angles, lg, biasGrad, needInput, lora[i], ag);
            if (attn[i].queries() != null) {
                // above this layer only the target cells were computed: their residual gradient to every cell's
                INDArray all = BufferPool.take(dx.dataType(), cells.tokens(), dx.size(1)).assign(0);
                targets.addTo(all, dx);
                Arrays2.release(dx);
                dx = all;
            }
            if (dxn0 != null) {
                INDArray dPre = RmsNorm.backward(dxn0, x0[i], lw.inputNorm(), r0[i], lg == null ? null : lg.inputNorm());
                dx.addi(dPre);
                Arrays2.release(dxn0, dPre);
            }
        }
        if (g != null) {
            accumulateEmbeddingGradient(dx, g.embed());
        }
        Arrays2.release(dx);
        if (biasGrad != null && offset > 0) {
            // the prefix's columns hold only the later queries' share; its bias is 0 and not fitted
            biasGrad.get(NDArrayIndex.all(), NDArrayIndex.interval(0, offset)).assign(0);
        }
        return new Gradients(g, biasGrad, ag);
    }

    /** Per-cell values of the computed cells, {@code [B * cells]}, in the batch's layout with 0 inside the prefix. */
    private double[] toBatchLayout(double[] own) {
        return offset == 0 ? own : copyCells(own, cells.length(), 0, tb.length(), offset);
    }

    /** The inverse of {@link #toBatchLayout}: the computed cells' entries of a batch-layout array. */
    private double[] ownCells(double[] all) {
        return offset == 0 ? all : copyCells(all, tb.length(), offset, cells.length(), 0);
    }

    /** Per row, the computed cells from {@code src} (rows of {@code srcLength}, starting at {@code srcAt}) to a new array. */
    private double[] copyCells(double[] src, int srcLength, int srcAt, int dstLength, int dstAt) {
        double[] out = new double[tb.batch() * dstLength];
        for (int r = 0; r < tb.batch(); r++) {
            System.arraycopy(src, r * srcLength + srcAt, out, r * dstLength + dstAt, cells.length());
        }
        return out;
    }

    /**
     * Adds row i of {@code dx} to row {@code ids[i]} of {@code dEmbed}. Rows of one token are summed
     * in a fixed order first, so the scatter sees unique indices and the result is deterministic.
     */
    private void accumulateEmbeddingGradient(INDArray dx, INDArray dEmbed) {
        int[] ids = cells.ids();
        int d = (int) dx.size(1);
        INDArray flat = Arrays2.flatOrCopy(dx);
        // one bulk read (a pooled buffer may be longer than dx); getDoublesAt went element by element
        int length = Math.toIntExact(dx.length());
        double[] rows = new double[length];
        Elementwise.read(Elementwise.view(flat), 0, rows, 0, length, new float[length]);
        if (flat != dx) flat.close();
        TreeMap<Integer, double[]> sums = new TreeMap<>();
        for (int i = 0; i < ids.length; i++) {
            double[] s = sums.computeIfAbsent(ids[i], k -> new double[d]);
            for (int j = 0; j < d; j++) {
                s[j] += rows[i * d + j];
            }
        }
        int[] idx = new int[sums.size()];
        double[][] upd = new double[sums.size()][];
        int u = 0;
        for (var e : sums.entrySet()) {
            idx[u] = e.getKey();
            upd[u++] = e.getValue();
        }
        // scatter_add writes to its output, so the gradient array is named as both input and output.
        Nd4j.exec(DynamicCustomOp.builder("scatter_add")
                .addInputs(dEmbed, Nd4j.createFromArray(idx), Nd4j.createFromArray(upd).castTo(dEmbed.dataType()))
                .addOutputs(dEmbed).build());
    }

    @Override
    public void close() {
        for (int i = 0; i < layers; i++) {
            Arrays2.release(x0[i], r0[i], x1[i], r1[i]);
            if (attn[i] != null) {
                Arrays2.release(attn[i].x());
                attn[i].close();
            }
            if (mlp[i] != null) {
                Arrays2.release(mlp[i].x());
                mlp[i].close();
            }
            if (lora[i] != null) {
                lora[i].close();
            }
        }
        Arrays2.release(xFinal, rFinal, hn, mask);
        if (queries != null) {
            Arrays2.release(queries.x(), queries.mask());
            queries = null;
        }
        if (logZ != null) {
            logZ.release();
            logZ = null;
        }
    }
}
