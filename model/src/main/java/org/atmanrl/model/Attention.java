package org.atmanrl.model;

import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraTarget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal grouped-query self-attention with RoPE and the additive key bias of
 * docs/design.md 2.2.
 *
 * <p>Layout: queries of the {@code G} heads that share one key/value head are stacked as
 * {@code [B, KV, G*T, hd]}, so one product per (row, kv head) ({@link HeadProducts}) serves the whole group and the
 * K/V gradients add up over the group by themselves, with no repeated K/V copies. Scores are
 * {@code (q / sqrt(hd)) k^T + mask}, where {@code mask} holds 0 or {@link #HIDDEN} for
 * causality and padding plus the bias {@code b[row, key]}: the bias lands after the scaling and
 * before the softmax, in every layer and head.
 *
 * <p>Keys and values of cells before the batch's own come from a decoding cache or from a
 * {@link PromptPrefix}; then the scores are {@code [.., G*T, past + T]}, and the backward of a
 * prefixed pass differentiates through the batch's own cells only (docs/design.md 2.2, "Prefix
 * reuse"): the prefix's keys and values are constants.
 */
final class Attention {
    /** Additive score of a key a query may not see; exp() of it underflows to exactly 0. */
    static final double HIDDEN = -1e9;

    private Attention() {}

    /**
     * Which layers' probabilities a kept pass keeps until its backward; the others are recomputed
     * there (docs/design.md 2.2, "Recomputed probabilities"). {@link #BY_SIZE} in use; the other two
     * pin one path, so a test can hold one against the other.
     */
    enum Kept {
        ALL, NONE, BY_SIZE;

        boolean keeps(LlamaConfig c, int keyCells) {
            return this == ALL || this == BY_SIZE && LlamaModel.keepsAttentionProbabilities(c, keyCells);
        }
    }

    record Dims(int batch, int length, int heads, int kvHeads, int headDim) {
        int group() { return heads / kvHeads; }
        int tokens() { return batch * length; }
    }

    /**
     * Activations the backward pass reads (no decoding cache during training). {@code keys} and
     * {@code values} are every key cell's, {@code [B, KV, Tk, hd]}: {@code k4} and {@code v4}
     * themselves, or a prefix's followed by them. {@code probs} are the softmax {@code [B, KV, G*T,
     * Tk]} when the pass keeps them, else null: {@link #probabilities} recomputes them from the
     * scaled queries, the keys and {@code mask} (the pass's, owned by it, not closed here), whose
     * visible spans are {@code visible}.
     */
    record Saved(INDArray x, INDArray q4, INDArray k4, INDArray v4, INDArray keys, INDArray values,
                 INDArray probs, INDArray mask, VisibleKeys visible, INDArray heads, Queries queries)
            implements AutoCloseable {
        @Override public void close() { Arrays2.release(q4, k4, v4, keys, values, probs, heads); }

        /** The queries' normed input: {@code x}, or {@link Queries#x} when the queries are some cells only. */
        INDArray xq() { return queries == null ? x : queries.x(); }

        /** Whether {@link #probabilities} computes a new array, the caller's to close. */
        boolean recomputes() { return probs == null; }
    }

    /**
     * The attention probabilities {@code [B, KV, G*T, Tk]} of a kept pass: the kept ones, or the
     * forward's recomputed by the same ops on the same arrays, so bit for bit the same
     * (docs/design.md 2.2, "Recomputed probabilities"). Close the result when {@link
     * Saved#recomputes}.
     */
    static INDArray probabilities(Saved s) {
        return s.recomputes() ? softmax(s.q4(), s.keys(), s.mask(), s.visible()) : s.probs();
    }

    /**
     * {@code softmax(q4 keys^T + mask)}: {@code q4} holds q / sqrt(hd); mask {@code [B, 1, 1, T, Tk]}
     * with the spans {@code visible}; scores past a tile's spans are never computed.
     */
    private static INDArray softmax(INDArray q4, INDArray keys, INDArray mask, VisibleKeys visible) {
        INDArray scores = BufferPool.take(q4.dataType(), q4.size(0), q4.size(1), q4.size(2), keys.size(2));
        HeadProducts.multiply(q4, false, keys, true, scores, visible, HeadProducts.Cut.COLUMNS); // [B, KV, G*T, Tk]
        MaskedSoftmax.apply(scores, mask, visible);
        return scores;
    }

    /**
     * Queries at some of the cells only ({@link TargetCells}): the last layer of a pass that needs
     * log-probabilities at its target cells alone. {@code x} {@code [Nq, D]} is the normed input of
     * those cells, {@code dims} their layout {@code [B, Tq]}, {@code angles} their RoPE angles and
     * {@code mask} {@code [B, 1, 1, Tq, Tk]} their visibility plus bias; the pass owns all of them.
     */
    record Queries(INDArray x, Dims dims, Rope.Angles angles, INDArray mask, VisibleKeys visible, TargetCells cells) {
    }

    /**
     * @param x      normed input {@code [N, D]}
     * @param queries the cells whose queries attend, when only some do, else null (every cell's);
     *               the output then has their rows {@code [Nq, D]}
     * @param mask   {@code [B, 1, 1, T, Tk]}: visibility plus bias for every (row, query, key)
     * @param visible the mask's visible spans, found once per pass
     * @param cache  this layer's decoding cache (keys/values are appended at {@code past}), or null
     * @param prefix this layer's keys/values of the {@code past} cells before the batch's, read
     *               only, or null
     * @param lora   the layer's LoRA branches, or null for none (docs/design.md 3.4)
     * @param keepProbs with {@code saved}: whether to keep the probabilities, or leave them to
     *               {@link #probabilities} to recompute
     */
    static INDArray forward(INDArray x, Queries queries, LayerWeights w, Dims d, Rope.Angles angles, INDArray mask,
                            VisibleKeys visible, KvCache.Layer cache, KvCache.Layer prefix, int past, Saved[] saved, boolean keepProbs,
                            LoraLayer lora) {
        int t = d.length(), kv = d.kvHeads();
        Dims dq = queries == null ? d : queries.dims();

        INDArray q4 = queries == null
                ? projectHeads(x, w.q(), d, d.heads(), angles, lora, LoraTarget.Q_PROJ)
                : projectHeads(queries.x(), w.q(), dq, d.heads(), queries.angles(), lora, LoraTarget.Q_PROJ);
        q4.muli(1.0 / Math.sqrt(d.headDim()));
        INDArray k4 = projectHeads(x, w.k(), d, kv, angles, lora, LoraTarget.K_PROJ);
        INDArray v4 = projectHeads(x, w.v(), d, kv, null, lora, LoraTarget.V_PROJ);

        INDArray keys = k4, values = v4;
        if (cache != null) {
            cache.append(k4, v4, past);
            keys = cache.keys(past + t);
            values = cache.values(past + t);
        } else if (prefix != null) {
            keys = Nd4j.concat(2, prefix.keys(past), k4);
            values = Nd4j.concat(2, prefix.values(past), v4);
        }
        INDArray qMask = queries == null ? mask : queries.mask();
        VisibleKeys qVisible = queries == null ? visible : queries.visible();
        INDArray scores = softmax(q4, keys, qMask, qVisible);         // [B, KV, G*Tq, Tk]
        INDArray out4 = BufferPool.take(q4.dataType(), q4.shape()); // [B, KV, G*Tq, hd]
        HeadProducts.multiply(scores, false, values, false, out4, qVisible, HeadProducts.Cut.INNER);

        INDArray heads = HeadLayout.merge(out4, dq, d.heads(), null);
        Arrays2.release(out4);
        INDArray out = LoraLayer.forward(lora, LoraTarget.O_PROJ, heads, w.o());

        if (saved != null) {
            saved[0] = new Saved(x, q4, k4, v4, keys, values, keepProbs ? scores : null, qMask, qVisible, heads, queries);
            if (!keepProbs) {
                Arrays2.release(scores);
            }
        } else {
            Arrays2.release(q4, k4, v4, scores, heads);
            if (prefix != null) {
                Arrays2.release(keys, values);
            }
        }
        return out;
    }

    /** {@code x W^T} in the attention layout, rotated by RoPE unless {@code angles} is null. */
    private static INDArray projectHeads(INDArray x, INDArray w, Dims d, int nHeads, Rope.Angles angles,
                                         LoraLayer lora, LoraTarget target) {
        INDArray flat = LoraLayer.forward(lora, target, x, w);
        INDArray out = HeadLayout.split(flat, d, nHeads, angles);
        Arrays2.release(flat);
        return out;
    }

    /**
     * Backward of {@link #forward} without a decoding cache. Returns dL/dx; adds weight gradients
     * into {@code grad} and the bias gradient {@code [B, Tk]} into {@code biasGrad} when they are
     * given. After a prefix, only the batch's own cells are differentiated through: the bias
     * gradient's prefix columns then miss the prefix queries' share, and weight gradients theirs.
     * With LoRA branches ({@code lora}), their gradients go into {@code loraGrad} when it is given
     * and their share into every input gradient (docs/design.md 3.4).
     */
    static INDArray backward(INDArray dOut, Saved s, LayerWeights w, Dims d, Rope.Angles angles,
                             LayerWeights grad, INDArray biasGrad, boolean needInputGradient,
                             LoraLayer lora, LoraAdapters loraGrad) {
        Queries queries = s.queries();
        Dims qd = queries == null ? d : queries.dims();
        int b = d.batch(), t = qd.length(), kv = d.kvHeads(), g = d.group(), hd = d.headDim();
        DataType dt = dOut.dataType();
        if (grad != null) {
            Linear.accumulateWeightGradient(dOut, s.heads(), grad.o());
        }
        INDArray dHeads = Linear.inputGradient(dOut, w.o(), null);
        LoraLayer.backward(lora, LoraTarget.O_PROJ, dOut, s.heads(), loraGrad, dHeads);
        INDArray dOut4 = HeadLayout.split(dHeads, qd, d.heads(), null);

        // dS = P * (dP - rowsum(dP * P)). FlashAttention's identity rowsum(dP * P) = rowsum(dO * O)
        // turns a pass over [.., Tk] into one over the saved head outputs [.., hd].
        INDArray prod = dHeads.muli(s.heads());
        INDArray rowDot = BufferPool.take(dt, b, kv, (long) g * t, 1);
        rowDot.reshape('c', b, kv, g, t).assign(prod.reshape('c', b, t, kv, g, hd).sum(4).permute(0, 2, 3, 1));
        Arrays2.release(dHeads);
        INDArray p = probabilities(s);
        INDArray dS = BufferPool.take(dt, b, kv, (long) g * t, s.values().size(2));
        HeadProducts.multiply(dOut4, false, s.values(), true, dS, s.visible(), HeadProducts.Cut.COLUMNS); // dP
        MaskedSoftmax.backward(dS, p, rowDot, s.visible());
        Arrays2.release(rowDot);

        if (biasGrad != null) {
            INDArray perKey = dS.sum(1, 2);
            biasGrad.addi(perKey);
            perKey.close();
        }
        INDArray dx = null;
        if (grad != null || loraGrad != null || needInputGradient) {
            // keys and values of the batch's own cells get gradients; a prefix's are constants
            int past = (int) s.keys().size(2) - d.length();
            INDArray pOwn = ownKeys(p, past), dSOwn = ownKeys(dS, past);
            INDArray dV = BufferPool.takeLike(s.v4()), dQ4 = BufferPool.takeLike(s.q4()), dK4 = BufferPool.takeLike(s.k4());
            HeadProducts.multiply(pOwn, true, dOut4, false, dV, null, HeadProducts.Cut.NONE);  // [B, KV, T, hd]
            HeadProducts.multiply(dS, false, s.keys(), false, dQ4, s.visible(), HeadProducts.Cut.INNER);
            dQ4.muli(1.0 / Math.sqrt(hd));
            HeadProducts.multiply(dSOwn, true, s.q4(), false, dK4, null, HeadProducts.Cut.NONE); // q4 holds q / sqrt(hd)
            if (past > 0) {
                Arrays2.release(pOwn, dSOwn);
            }
            if (s.recomputes()) {
                Arrays2.release(p); // before the projections' gradients: one layer's probabilities at a time
            }
            INDArray dq = queries == null ? HeadLayout.merge(dQ4, d, d.heads(), angles)
                    : HeadLayout.merge(dQ4, qd, d.heads(), queries.angles());
            INDArray dk = HeadLayout.merge(dK4, d, kv, angles);
            INDArray dv = HeadLayout.merge(dV, d, kv, null);
            Arrays2.release(dQ4, dK4, dV);
            if (grad != null) {
                Linear.accumulateWeightGradient(dq, s.xq(), grad.q());
                Linear.accumulateWeightGradient(dk, s.x(), grad.k());
                Linear.accumulateWeightGradient(dv, s.x(), grad.v());
            }
            if (queries == null) {
                if (needInputGradient) {
                    dx = Linear.inputGradient(dq, w.q(), null);
                    Linear.inputGradient(dk, w.k(), dx);
                    Linear.inputGradient(dv, w.v(), dx);
                }
                LoraLayer.backward(lora, LoraTarget.Q_PROJ, dq, s.x(), loraGrad, dx);
                LoraLayer.backward(lora, LoraTarget.K_PROJ, dk, s.x(), loraGrad, dx);
                LoraLayer.backward(lora, LoraTarget.V_PROJ, dv, s.x(), loraGrad, dx);
            } else {
                // the queries' rows get the query path's share, every cell the keys' and values'
                INDArray dxq = needInputGradient ? Linear.inputGradient(dq, w.q(), null) : null;
                if (needInputGradient) {
                    dx = Linear.inputGradient(dk, w.k(), null);
                    Linear.inputGradient(dv, w.v(), dx);
                }
                LoraLayer.backward(lora, LoraTarget.Q_PROJ, dq, s.xq(), loraGrad, dxq);
                LoraLayer.backward(lora, LoraTarget.K_PROJ, dk, s.x(), loraGrad, dx);
                LoraLayer.backward(lora, LoraTarget.V_PROJ, dv, s.x(), loraGrad, dx);
                if (dxq != null) {
                    queries.cells().addTo(dx, dxq);
                    Arrays2.release(dxq);
                }
            }
            Arrays2.release(dq, dk, dv);
        }
        Arrays2.release(dOut4, dS, s.recomputes() ? p : null); // p: when no branch above closed it
        return dx;
    }

    /** The key columns {@code [past, Tk)} of {@code a [B, KV, G*T, Tk]}: the batch's own cells. */
    private static INDArray ownKeys(INDArray a, int past) {
        if (past == 0) {
            return a;
        }
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(past, a.size(3))).dup('c');
    }
}
