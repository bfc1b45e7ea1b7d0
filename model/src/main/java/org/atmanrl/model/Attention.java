package org.atmanrl.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal grouped-query self-attention with RoPE and DESIGN 2.2's additive key bias.
 *
 * <p>Layout: queries of the {@code G} heads that share one key/value head are stacked as
 * {@code [B, KV, G*T, hd]}, so one batched matmul per (row, kv head) serves the whole group and the
 * K/V gradients add up over the group by themselves, with no repeated K/V copies. Scores are
 * {@code (q / sqrt(hd)) k^T + mask}, where {@code mask} holds 0 or {@link #HIDDEN} for
 * causality and padding plus the bias {@code b[row, key]}: the bias lands after the scaling and
 * before the softmax, in every layer and head.
 */
final class Attention {
    /** Additive score of a key a query may not see; exp() of it underflows to exactly 0. */
    static final double HIDDEN = -1e9;

    private Attention() {}

    record Dims(int batch, int length, int heads, int kvHeads, int headDim) {
        int group() { return heads / kvHeads; }
        int tokens() { return batch * length; }
    }

    /** Activations the backward pass reads (no cache during training). */
    record Saved(INDArray x, INDArray q4, INDArray k4, INDArray v4, INDArray probs, INDArray heads)
            implements AutoCloseable {
        @Override public void close() { Arrays2.release(q4, k4, v4, probs, heads); }
    }

    /**
     * @param x     normed input {@code [N, D]}
     * @param mask  {@code [B, 1, 1, T, Tk]}: visibility plus bias for every (row, query, key)
     * @param cache this layer's cache (keys/values are appended at {@code past}), or null
     */
    static INDArray forward(INDArray x, LayerWeights w, Dims d, Rope.Angles angles, INDArray mask,
                            KvCache.Layer cache, int past, Saved[] saved) {
        int t = d.length(), kv = d.kvHeads();

        INDArray q4 = projectHeads(x, w.q(), d, d.heads(), angles);
        q4.muli(1.0 / Math.sqrt(d.headDim()));
        INDArray k4 = projectHeads(x, w.k(), d, kv, angles);
        INDArray v4 = projectHeads(x, w.v(), d, kv, null);

        INDArray keys = k4, values = v4;
        if (cache != null) {
            cache.append(k4, v4, past);
            keys = cache.keys(past + t);
            values = cache.values(past + t);
        }
        INDArray scores = Nd4j.matmul(q4, keys, null, false, true, false); // [B, KV, G*T, Tk]
        MaskedSoftmax.apply(scores, mask, t);
        INDArray out4 = Nd4j.matmul(scores, values);                       // [B, KV, G*T, hd]

        INDArray heads = HeadLayout.merge(out4, d, d.heads(), null);
        out4.close();
        INDArray out = Linear.forward(heads, w.o());

        if (saved != null) {
            saved[0] = new Saved(x, q4, k4, v4, scores, heads);
        } else {
            Arrays2.release(q4, k4, v4, scores, heads);
        }
        return out;
    }

    /** {@code x W^T} in the attention layout, rotated by RoPE unless {@code angles} is null. */
    private static INDArray projectHeads(INDArray x, INDArray w, Dims d, int nHeads, Rope.Angles angles) {
        INDArray flat = Linear.forward(x, w);
        INDArray out = HeadLayout.split(flat, d, nHeads, angles);
        flat.close();
        return out;
    }

    /**
     * Backward of {@link #forward} without cache. Returns dL/dx; adds weight gradients into
     * {@code grad} and the bias gradient {@code [B, T]} into {@code biasGrad} when they are given.
     */
    static INDArray backward(INDArray dOut, Saved s, LayerWeights w, Dims d, Rope.Angles angles,
                             LayerWeights grad, INDArray biasGrad, boolean needInputGradient) {
        int b = d.batch(), t = d.length(), kv = d.kvHeads(), g = d.group(), hd = d.headDim();
        DataType dt = dOut.dataType();
        if (grad != null) {
            Linear.accumulateWeightGradient(dOut, s.heads(), grad.o());
        }
        INDArray dHeads = Linear.inputGradient(dOut, w.o(), null);
        INDArray dOut4 = HeadLayout.split(dHeads, d, d.heads(), null);

        // dS = P * (dP - rowsum(dP * P)). FlashAttention's identity rowsum(dP * P) = rowsum(dO * O)
        // turns a pass over [.., Tk] into one over the saved head outputs [.., hd].
        INDArray prod = dHeads.muli(s.heads());
        INDArray rowDot = Nd4j.createUninitialized(dt, b, kv, (long) g * t, 1);
        rowDot.reshape('c', b, kv, g, t).assign(prod.reshape('c', b, t, kv, g, hd).sum(4).permute(0, 2, 3, 1));
        dHeads.close();
        INDArray p = s.probs();
        INDArray dS = Nd4j.matmul(dOut4, s.v4(), null, false, true, false);
        dS.subi(rowDot).muli(p);
        rowDot.close();

        if (biasGrad != null) {
            INDArray perKey = dS.sum(1, 2);
            biasGrad.addi(perKey);
            perKey.close();
        }
        INDArray dx = null;
        if (grad != null || needInputGradient) {
            INDArray dV = Nd4j.matmul(p, dOut4, null, true, false, false);  // [B, KV, T, hd]
            INDArray dQ4 = Nd4j.matmul(dS, s.k4()).muli(1.0 / Math.sqrt(hd));
            INDArray dK4 = Nd4j.matmul(dS, s.q4(), null, true, false, false); // q4 holds q / sqrt(hd)
            INDArray dq = HeadLayout.merge(dQ4, d, d.heads(), angles);
            INDArray dk = HeadLayout.merge(dK4, d, kv, angles);
            INDArray dv = HeadLayout.merge(dV, d, kv, null);
            Arrays2.release(dQ4, dK4, dV);
            if (grad != null) {
                Linear.accumulateWeightGradient(dq, s.x(), grad.q());
                Linear.accumulateWeightGradient(dk, s.x(), grad.k());
                Linear.accumulateWeightGradient(dv, s.x(), grad.v());
            }
            if (needInputGradient) {
                dx = Linear.inputGradient(dq, w.q(), null);
                Linear.inputGradient(dk, w.k(), dx);
                Linear.inputGradient(dv, w.v(), dx);
            }
            Arrays2.release(dq, dk, dv);
        }
        Arrays2.release(dOut4, dS);
        return dx;
    }
}
