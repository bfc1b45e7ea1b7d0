package org.atmanrl.model;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Moves projections between the token layout {@code [N = B*T, heads * hd]} (what the GEMMs make)
 * and the attention layout {@code [B, KV, G*T, hd]} (query head {@code h} is group member
 * {@code h % G} of KV head {@code h / G}, as HF's repeat_kv), applying RoPE on the way.
 *
 * <p>Written as one Java pass over the buffers because the ND4J equivalent, a permuted assign
 * plus six broadcast ops on half-width strided views, measured ~25 ms per 8 MB tensor against a
 * few ms here: about a second of a mid-size training step. Outputs come from the {@link BufferPool}.
 */
final class HeadLayout {
    private HeadLayout() {}

    /** {@code [N, heads*hd]} to {@code [B, KV, G*T, hd]}, rotating by RoPE when {@code angles} is given. */
    static INDArray split(INDArray flat, Attention.Dims d, int heads, Rope.Angles angles) {
        INDArray out = BufferPool.take(flat.dataType(), d.batch(), d.kvHeads(),
                (long) heads / d.kvHeads() * d.length(), d.headDim());
        move(Arrays2.flatOrCopy(flat), out, d, heads, angles, true);
        return out;
    }

    /**
     * {@code [B, KV, G*T, hd]} back to {@code [N, heads*hd]}, rotating by the opposite angle when
     * {@code angles} is given: the transpose of {@link #split}, which is what the backward pass needs.
     */
    static INDArray merge(INDArray h4, Attention.Dims d, int heads, Rope.Angles angles) {
        INDArray out = BufferPool.take(h4.dataType(), d.tokens(), (long) heads * d.headDim());
        move(out, Arrays2.flatOrCopy(h4), d, heads, angles, false);
        return out;
    }

    /**
     * Walks every (row, head, pair j / j + hd/2). {@code toHeads}: read {@code flat}, write
     * {@code h4} rotated forward; otherwise read {@code h4}, write {@code flat} rotated back.
     */
    private static void move(INDArray flat, INDArray h4, Attention.Dims d, int heads, Rope.Angles angles,
                             boolean toHeads) {
        int t = d.length(), kv = d.kvHeads(), g = heads / kv, hd = d.headDim(), half = hd / 2;
        int n = d.tokens();
        double[] cos = angles == null ? null : angles.cos();
        double[] sin = angles == null ? null : angles.sin();
        double sign = toHeads ? 1 : -1;
        boolean isFloat = flat.dataType() == DataType.FLOAT;
        FloatBuffer ff = isFloat ? flat.data().asNioFloat() : null, hf = isFloat ? h4.data().asNioFloat() : null;
        DoubleBuffer fd = isFloat ? null : flat.data().asNioDouble(), hdb = isFloat ? null : h4.data().asNioDouble();
        CoreRanges.run(n, 1, (fromRow, toRow) -> {
            for (int row = fromRow; row < toRow; row++) {
                int b = row / t, tt = row % t;
                for (int h = 0; h < heads; h++) {
                    int fBase = (row * heads + h) * hd;
                    int hBase = (((b * kv + h / g) * g + h % g) * t + tt) * hd;
                    for (int j = 0; j < half; j++) {
                        double c = 1, s = 0;
                        if (cos != null) {
                            c = cos[row * half + j];
                            s = sign * sin[row * half + j];
                        }
                        int src = toHeads ? fBase : hBase, dst = toHeads ? hBase : fBase;
                        if (isFloat) {
                            FloatBuffer in = toHeads ? ff : hf, out = toHeads ? hf : ff;
                            double x1 = in.get(src + j), x2 = in.get(src + j + half);
                            out.put(dst + j, (float) (x1 * c - x2 * s));
                            out.put(dst + j + half, (float) (x2 * c + x1 * s));
                        } else {
                            DoubleBuffer in = toHeads ? fd : hdb, out = toHeads ? hdb : fd;
                            double x1 = in.get(src + j), x2 = in.get(src + j + half);
                            out.put(dst + j, x1 * c - x2 * s);
                            out.put(dst + j + half, x2 * c + x1 * s);
                        }
                    }
                }
            }
        });
    }
}
