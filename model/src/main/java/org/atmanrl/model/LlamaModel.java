package org.atmanrl.model;

import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraDropout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A Llama decoder with HF {@code LlamaForCausalLM} semantics: embedding; per layer
 * {@code x += attn(rms(x))}, {@code x += mlp(rms(x))}; final RMSNorm; LM head (tied or not).
 *
 * <p>The forward pass takes an optional attention bias {@code [B, T]} per (row, key cell), the
 * AtMan hook of docs/design.md 2.2. Computation runs in the weights' data type (fp32 normally, fp64
 * for gradient checks). Not thread-safe: one model per thread.
 *
 * <p>With LoRA adapters ({@link #LlamaModel(LlamaWeights, LoraAdapters)}) every pass adds the
 * adapter branches to the targeted projections, the base weights are frozen and a backward gives
 * the adapters' gradients (docs/design.md 3.4). Without them nothing changes, bit for bit.
 */
public final class LlamaModel {
    private final LlamaWeights weights;
    private final LlamaConfig config;
    private final Rope rope;
    private final int headChunkCells;
    private final LoraAdapters adapters;
    private final Attention.Kept keptProbabilities;

    public LlamaModel(LlamaWeights weights) {
        this(weights, LmHead.chunkCells(weights.config().vocabSize(), weights.dataType()));
    }

    /**
     * The frozen base {@code weights} with LoRA {@code adapters} applied on every pass (null for
     * none); both are used live, not copied, and must share the model config and data type.
     */
    public LlamaModel(LlamaWeights weights, LoraAdapters adapters) {
        this(weights, LmHead.chunkCells(weights.config().vocabSize(), weights.dataType()), adapters);
    }

    /** With the LM head's chunks of {@code headChunkCells} cells instead of {@link LmHead#chunkCells}'s. */
    LlamaModel(LlamaWeights weights, int headChunkCells) {
        this(weights, headChunkCells, null);
    }

    LlamaModel(LlamaWeights weights, int headChunkCells, LoraAdapters adapters) {
        this(weights, headChunkCells, adapters, Attention.Kept.BY_SIZE);
    }

    /** With {@code kept} choosing which attention probabilities a kept pass keeps. */
    LlamaModel(LlamaWeights weights, int headChunkCells, LoraAdapters adapters, Attention.Kept kept) {
        if (adapters != null && !adapters.modelConfig().equals(weights.config())) {
            throw new IllegalArgumentException("LoRA adapters for " + adapters.modelConfig() + " do not fit a model of "
                    + weights.config());
        }
        if (adapters != null && adapters.dataType() != weights.dataType()) {
            throw new IllegalArgumentException("LoRA adapters are " + adapters.dataType() + " but the weights are "
                    + weights.dataType() + ": compute in one data type");
        }
        if (headChunkCells < 1) {
            throw new IllegalArgumentException("the LM head needs at least 1 cell per chunk, got " + headChunkCells);
        }
        BlasSelfCheck.requireCorrect(); // a wrong BLAS would train a wrong model silently (docs/design.md 6.1)
        this.weights = weights;
        this.config = weights.config();
        this.rope = new Rope(config);
        this.headChunkCells = headChunkCells;
        this.adapters = adapters;
        this.keptProbabilities = kept;
    }

    /**
     * Whether a kept pass over {@code keyCells} key cells keeps each layer's attention probabilities
     * until its backward rather than recompute them there (docs/design.md 2.2, "Recomputed
     * probabilities"): while a query cell's {@code H x keyCells} probabilities are no more numbers
     * than the layer keeps for that cell anyway (input, two norm outputs and residual sum {@code
     * [D]}, two inverse RMS, queries and head outputs {@code [H * hd]}, keys and values {@code [KV *
     * hd]}, the MLP's three {@code [I]}; docs/design.md 3.3). So they at most double a kept pass, and
     * a longer pass, where they would dominate it, holds one layer's at a time and pays the
     * recomputation.
     */
    public static boolean keepsAttentionProbabilities(LlamaConfig c, int keyCells) {
        long d = c.hiddenSize(), hd = c.headDim();
        long perCell = 4 * d + 2 + 2L * c.numAttentionHeads() * hd + 2L * c.numKeyValueHeads() * hd
                + 3L * c.intermediateSize();
        return (long) c.numAttentionHeads() * keyCells <= perCell;
    }

    public LlamaConfig config() { return config; }
    public LlamaWeights weights() { return weights; }
    public DataType dataType() { return weights.dataType(); }
    /** The LoRA adapters every pass applies, or null. */
    public LoraAdapters adapters() { return adapters; }
    int headChunkCells() { return headChunkCells; }

    /**
     * {@code log p(target)} of every cell, flattened {@code [B * T]}, 0 where the cell has no target.
     * @param bias additive attention bias {@code [B, T]} per key cell, or null for none
     */
    public double[] logProbs(TokenBatch tb, INDArray bias) {
        return logProbs(tb, bias, null);
    }

    /**
     * {@link #logProbs(TokenBatch, INDArray)} computing only the cells after {@code prefix}, whose
     * keys and values it reads (docs/design.md 2.2, "Prefix reuse"). Cells inside the prefix read 0,
     * as cells without a target do; the others equal the full pass's up to rounding.
     * @param bias   as for the full pass, {@code [B, T]}, and 0 on the prefix's cells
     * @param prefix {@link #prefix} of this batch's first cells, or null for the full pass
     */
    public double[] logProbs(TokenBatch tb, INDArray bias, PromptPrefix prefix) {
        try (ForwardPass fp = run(tb, bias, prefix, false, null, false)) {
            return fp.logProbs();
        }
    }

    /**
     * {@link #logProbs(TokenBatch, INDArray, PromptPrefix)} where the last layer computes only the
     * cells with a target (docs/design.md 2.2, "Target cells only"): for passes that read a few
     * cells' log-probabilities, as the saliency likelihoods read the answer's. Those cells equal the
     * full pass's up to rounding; every other cell reads 0.
     */
    public double[] logProbsAtTargets(TokenBatch tb, INDArray bias, PromptPrefix prefix) {
        try (ForwardPass fp = run(tb, bias, prefix, false, null, true)) {
            return fp.logProbs();
        }
    }

    /** A forward pass that keeps what {@link ForwardPass#backward} needs; close it when done. */
    public ForwardPass forward(TokenBatch tb, INDArray bias) {
        return forward(tb, bias, null);
    }

    /**
     * {@link #forward(TokenBatch, INDArray)} over the cells after {@code prefix} (see
     * {@link #logProbs(TokenBatch, INDArray, PromptPrefix)}). Its backward gives the attention
     * bias's gradient only (the weights' would miss the prefix's share), exact on every key cell
     * after the prefix and 0 on the prefix's; cell weights must be 0 inside the prefix.
     */
    public ForwardPass forward(TokenBatch tb, INDArray bias, PromptPrefix prefix) {
        return run(tb, bias, prefix, true, null, false);
    }

    /**
     * {@link #forward(TokenBatch, INDArray, PromptPrefix)} with the last layer at the cells with a
     * target only (see {@link #logProbsAtTargets}); its backward's cell weights must be 0 elsewhere,
     * and it has no {@link ForwardPass#hidden} or {@link ForwardPass#attentionFrom}.
     */
    public ForwardPass forwardAtTargets(TokenBatch tb, INDArray bias, PromptPrefix prefix) {
        return run(tb, bias, prefix, true, null, true);
    }

    /**
     * A training pass of the adapters: {@link #forward(TokenBatch, INDArray)} with {@code dropout}'s
     * mask on every adapter branch's input when the adapters' {@code lora_dropout} is above 0 (at 0
     * it is the same pass, and draws nothing). Passes without this method never drop.
     */
    public ForwardPass trainingPass(TokenBatch tb, INDArray bias, LoraDropout dropout) {
        if (adapters == null) {
            throw new IllegalStateException("a dropout pass needs a model with LoRA adapters");
        }
        if (dropout.rows() != tb.batch()) {
            throw new IllegalArgumentException("lora dropout has " + dropout.rows() + " row keys for a batch of "
                    + tb.batch() + " rows");
        }
        return run(tb, bias, null, true, dropout, false);
    }

    /**
     * Runs the first {@code length} cells of every row of {@code tb} once, with no bias, and keeps
     * every layer's keys and values, for passes over rows that begin with them. The caller closes it.
     * @param length cells per row, at least 1 and fewer than {@code tb.length()}
     */
    public PromptPrefix prefix(TokenBatch tb, int length) {
        if (length < 1 || length >= tb.length()) {
            throw new IllegalArgumentException("a prefix needs 1 to " + (tb.length() - 1) + " cells, got " + length);
        }
        TokenBatch cells = tb.columns(0, length);
        KvCache cache = newCache(tb.batch(), length);
        try (ForwardPass fp = new ForwardPass(this, cells, cells, null, false, null)) {
            Arrays2.release(hidden(cells, null, cache, null, fp));
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        return new PromptPrefix(this, cells, cache);
    }

    /** Logits of every cell, {@code [B * T, vocab]}. */
    public INDArray logits(TokenBatch tb, INDArray bias) {
        try (ForwardPass fp = new ForwardPass(this, tb, tb, bias, false, null)) {
            INDArray hn = hidden(tb, bias, null, null, fp);
            INDArray logits = Linear.output(hn, weights.lmHead());
            Arrays2.release(hn);
            return logits;
        }
    }

    /** A cache for {@code batch} rows of up to {@code capacity} tokens each. */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(config, batch, capacity, dataType());
    }

    /**
     * Appends {@code step}'s cells to {@code cache} and returns the logits {@code [B, vocab]} of
     * each row's last cell: the next-token distribution. Prefill a left-padded prompt batch with
     * it, then feed one token per row.
     */
    public INDArray nextTokenLogits(TokenBatch step, KvCache cache) {
        return nextTokenLogits(step, cache, true);
    }

    /** {@link #nextTokenLogits(TokenBatch, KvCache)}, through {@link DecodeStep} only when {@code fused} allows. */
    INDArray nextTokenLogits(TokenBatch step, KvCache cache, boolean fused) {
        if (fused && DecodeStep.applies(this, step)) {
            checkIds(step);
            return DecodeStep.run(this, step, cache, rope);
        }
        INDArray hn;
        try (ForwardPass fp = new ForwardPass(this, step, step, null, false, null)) {
            hn = hidden(step, null, cache, null, fp);
        }
        int t = step.length();
        INDArray last = hn.reshape('c', step.batch(), t, config.hiddenSize())
                .get(NDArrayIndex.all(), NDArrayIndex.point(t - 1), NDArrayIndex.all()).dup('c');
        Arrays2.release(hn);
        INDArray logits = Linear.output(last, weights.lmHead());
        last.close();
        return logits;
    }

    private static void requireTargets(TokenBatch tb) {
        if (!tb.hasTargets()) {
            throw new IllegalArgumentException("log-probabilities need a batch with targets (TokenBatch.forScoring)");
        }
    }

    private ForwardPass run(TokenBatch tb, INDArray bias, PromptPrefix prefix, boolean keep, LoraDropout dropout,
                            boolean atTargets) {
        requireTargets(tb);
        TokenBatch cells = prefix == null ? tb : prefix.suffixOf(this, tb, bias);
        ForwardPass fp = new ForwardPass(this, tb, cells, bias, keep, atTargets ? TargetCells.of(cells) : null);
        fp.setDropout(dropout);
        try {
            fp.head(hidden(cells, bias, null, prefix, fp));
        } catch (RuntimeException e) {
            fp.close();
            throw e;
        }
        return fp;
    }

    /**
     * Embedding through the final norm of {@code tb}'s cells: {@code [N, D]}; activations go to
     * {@code fp} if it keeps them. Keys and values of earlier cells come from {@code cache}
     * (decoding: this batch's are appended to it) or {@code prefix} (read only), or there are none.
     */
    INDArray hidden(TokenBatch tb, INDArray bias, KvCache cache, PromptPrefix prefix, ForwardPass fp) {
        checkIds(tb);
        KvCache earlier = cache != null ? cache : prefix != null ? prefix.cache() : null;
        int past = cache != null ? cache.advance(tb) : prefix != null ? prefix.length() : 0;
        int keyLength = past + tb.length();
        if (bias != null && (bias.rank() != 2 || bias.size(0) != tb.batch() || bias.size(1) != keyLength)) {
            throw new IllegalArgumentException("attention bias must be [" + tb.batch() + ", " + keyLength
                    + "], got " + java.util.Arrays.toString(bias.shape()));
        }
        DataType dt = dataType();
        Attention.Dims dims = new Attention.Dims(tb.batch(), tb.length(), config.numAttentionHeads(),
                config.numKeyValueHeads(), config.headDim());
        Rope.Angles angles = rope.angles(tb);
        INDArray mask = keyMask(tb, earlier, past, bias, dt, null);
        VisibleKeys visible = VisibleKeys.of(mask); // one mask for every layer
        fp.setInputs(angles, mask);
        TargetCells targets = fp.targetCells();

        INDArray x = embedRows(tb.ids());
        double eps = config.rmsNormEps();
        boolean keep = fp.keeps();
        boolean keepProbs = keep && keptProbabilities.keeps(config, keyLength);
        Attention.Saved[] as = new Attention.Saved[1];
        Mlp.Saved[] ms = new Mlp.Saved[1];
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            LayerWeights lw = weights.layer(i);
            LoraLayer lora = adapters == null ? null : new LoraLayer(adapters, i, fp.dropout(), tb, keep);
            if (keep && lora != null) {
                fp.saveLora(i, lora);
            }
            INDArray r0 = RmsNorm.inverseRms(x, eps);
            INDArray xn0 = RmsNorm.forward(x, lw.inputNorm(), r0);
            // the last layer of a pass at its target cells: queries there only (TargetCells)
            Attention.Queries queries = targets != null && i == config.numHiddenLayers() - 1
                    ? fp.saveQueries(queries(targets, tb, xn0, earlier, past, bias, dt)) : null;
            INDArray attn = Attention.forward(xn0, queries, lw, dims, angles, mask, visible, cache == null ? null : cache.layer(i),
                    prefix == null ? null : prefix.cache().layer(i), past, keep ? as : null, keepProbs, lora);
            INDArray x1;
            if (queries != null) {
                x1 = targets.gather(x).addi(attn); // [Nq, D] from here to the LM head
                if (!keep) Arrays2.release(x);
            } else {
                x1 = keep ? x.add(attn, BufferPool.takeLike(x)) : x.addi(attn);
            }
            Arrays2.release(attn);
            INDArray r1 = RmsNorm.inverseRms(x1, eps);
            INDArray xn1 = RmsNorm.forward(x1, lw.postNorm(), r1);
            INDArray mlp = Mlp.forward(xn1, lw, keep ? ms : null, lora);
            INDArray x2 = keep ? x1.add(mlp, BufferPool.takeLike(x1)) : x1.addi(mlp);
            Arrays2.release(mlp);
            if (keep) {
                fp.saveLayer(i, x, r0, as[0], x1, r1, ms[0]);
            } else {
                Arrays2.release(r0, xn0, r1, xn1);
            }
            x = x2;
        }
        INDArray r = RmsNorm.inverseRms(x, eps);
        INDArray hn = RmsNorm.forward(x, weights.norm(), r);
        if (keep) {
            fp.saveFinal(x, r, hn);
        } else {
            Arrays2.release(x, r);
        }
        return hn;
    }

    /** The last layer's queries at {@code targets}' cells, from that layer's normed input {@code xn0 [N, D]}. */
    private Attention.Queries queries(TargetCells targets, TokenBatch tb, INDArray xn0, KvCache earlier, int past,
                                      INDArray bias, DataType dt) {
        TokenBatch q = targets.queries();
        Attention.Dims dims = new Attention.Dims(q.batch(), q.length(), config.numAttentionHeads(),
                config.numKeyValueHeads(), config.headDim());
        INDArray mask = keyMask(tb, earlier, past, bias, dt, targets);
        return new Attention.Queries(targets.gather(xn0), dims, rope.angles(q), mask, VisibleKeys.of(mask), targets);
    }

    /**
     * The embedding rows of {@code ids}, {@code [N, D]} in the compute type: of bf16 storage only the
     * gathered rows are widened.
     */
    private INDArray embedRows(int[] ids) {
        INDArray rows = Nd4j.pullRows(weights.embed(), 1, ids);
        if (rows.dataType() == dataType()) {
            return rows;
        }
        INDArray wide = rows.castTo(dataType());
        rows.close();
        return wide;
    }

    private void checkIds(TokenBatch tb) {
        for (int id : tb.ids()) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
    }

    /**
     * {@code [B, 1, 1, T, Tk]}: 0 where query cell t may see key cell k (causal in cell order, key
     * not padding), {@link Attention#HIDDEN} elsewhere, plus the bias of key k. Keys {@code k <
     * past} are earlier cells, whose validity {@code earlier} holds (with a decoding cache, it
     * holds this batch's too). With {@code queries}, the rows are those cells' only: {@code [B, 1,
     * 1, Tq, Tk]}.
     */
    private static INDArray keyMask(TokenBatch tb, KvCache earlier, int past, INDArray bias, DataType dt,
                                    TargetCells queries) {
        int b = tb.batch(), t = tb.length(), tk = past + t, tq = queries == null ? t : queries.perRow();
        int cached = earlier == null ? 0 : earlier.length();
        float[] m = new float[b * tq * tk];
        float hidden = (float) Attention.HIDDEN;
        for (int r = 0; r < b; r++) {
            for (int s = 0; s < tq; s++) {
                int base = (r * tq + s) * tk;
                int q = queries == null ? s : queries.column(r * tq + s);
                for (int k = 0; k < tk; k++) {
                    boolean keyValid = k < cached ? earlier.valid(r, k) : tb.valid(r, k - past);
                    m[base + k] = (k <= past + q && keyValid) ? 0f : hidden;
                }
            }
        }
        // Created in its final shape: a reshaped view could not be closed, and its base would leak.
        INDArray mask = Nd4j.create(m, new long[] {b, 1, 1, tq, tk}, 'c');
        if (dt != DataType.FLOAT) {
            INDArray cast = mask.castTo(dt);
            mask.close();
            mask = cast;
        }
        if (bias != null) {
            mask.addi(bias.castTo(dt).reshape('c', b, 1, 1, 1, tk));
        }
        return mask;
    }

}
