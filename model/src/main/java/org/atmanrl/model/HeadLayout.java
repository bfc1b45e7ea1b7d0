package org.atmanrl.model;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Moves projections between the token layout {@code [N = B*T, heads * hd]} (what the GEMMs make)
 * and the attention layout {@code [B, KV, G*T, hd]} (query head {@code h} is group member
 * {@code h % G} of KV head {@code h / G}, as HF's repeat_kv), applying RoPE on the way.
 *
 * <p>Written as one Java pass over the buffers because the ND4J equivalent, a permuted assign
 * plus six broadcast ops on half-width strided views, measured ~25 ms per 8 MB tensor against a
 * few ms here: about a second of a mid-size training step. A cell's values move by bulk copies, and
 * without RoPE (values, the head outputs and their gradients) straight from buffer to buffer
 * (docs/design.md 6.1, "Element-wise loops"). Outputs come from the {@link BufferPool}.
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
        int n = d.tokens(), width = heads * hd;
        double[] cos = angles == null ? null : angles.cos();
        double[] sin = angles == null ? null : angles.sin();
        double sign = toHeads ? 1 : -1;
        if (angles == null) {
            copy(flat, h4, d, heads, toHeads);
            return;
        }
        CoreRanges.run(n, 1, (fromRow, toRow) -> {
            // a token's row moves whole: one bulk read or write of the flat row, one of each head's
            // values, the rotation between them on arrays (element by element over the buffers cost
            // a bounds check and a call an element)
            Buffer fb = Elementwise.view(flat), hb = Elementwise.view(h4);
            double[] in = new double[width], out = new double[width];
            float[] floats = new float[width];
            for (int row = fromRow; row < toRow; row++) {
                int b = row / t, tt = row % t;
                if (toHeads) {
                    Elementwise.read(fb, row * width, in, 0, width, floats);
                } else {
                    for (int h = 0; h < heads; h++) {
                        Elementwise.read(hb, headAt(b, h, tt, kv, g, t, hd), in, h * hd, hd, floats);
                    }
                }
                for (int h = 0; h < heads; h++) {
                    int at = h * hd;
                    for (int j = 0; j < half; j++) {
                        double c = 1, s = 0;
                        if (cos != null) {
                            c = cos[row * half + j];
                            s = sign * sin[row * half + j];
                        }
                        double x1 = in[at + j], x2 = in[at + j + half];
                        out[at + j] = x1 * c - x2 * s;
                        out[at + j + half] = x2 * c + x1 * s;
                    }
                }
                if (toHeads) {
                    for (int h = 0; h < heads; h++) {
                        Elementwise.write(hb, headAt(b, h, tt, kv, g, t, hd), out, h * hd, hd, floats);
                    }
                } else {
                    Elementwise.write(fb, row * width, out, 0, width, floats);
                }
            }
        });
    }

    /** {@link #move} without RoPE: each head's {@code hd} values of a cell copied buffer to buffer. */
    private static void copy(INDArray flat, INDArray h4, Attention.Dims d, int heads, boolean toHeads) {
        int t = d.length(), kv = d.kvHeads(), g = heads / kv, hd = d.headDim();
        CoreRanges.run(d.tokens(), 1, (fromRow, toRow) -> {
            Buffer fb = Elementwise.view(flat), hb = Elementwise.view(h4);
            Buffer from = toHeads ? fb : hb, to = toHeads ? hb : fb;
            for (int row = fromRow; row < toRow; row++) {
                int b = row / t, tt = row % t;
                for (int h = 0; h < heads; h++) {
                    int flatAt = (row * heads + h) * hd, headAt = headAt(b, h, tt, kv, g, t, hd);
                    int src = toHeads ? flatAt : headAt, dst = toHeads ? headAt : flatAt;
                    if (to instanceof FloatBuffer f) {
                        f.put(dst, (FloatBuffer) from, src, hd);
                    } else {
                        ((DoubleBuffer) to).put(dst, (DoubleBuffer) from, src, hd);
                    }
                }
            }
        });
    }

    /** Where query head {@code h}'s values of cell {@code tt} of row {@code b} start in {@code [B, KV, G*T, hd]}. */
    private static int headAt(int b, int h, int tt, int kv, int g, int t, int hd) {
        return (((b * kv + h / g) * g + h % g) * t + tt) * hd;
    }
}
