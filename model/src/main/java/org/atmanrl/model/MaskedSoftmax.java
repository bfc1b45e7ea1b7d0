package org.atmanrl.model;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code p = softmax(scores + mask)} over the key axis, in place, in one pass per row.
 *
 * <p>Why not ND4J's SoftMax op: it rebuilds per-shape TAD information, and during decoding the
 * key length changes every step; at batch 32 it took 95% of a tiny model's decode time and grew
 * slower with every new shape (61 to 211 ms per step over three runs). Fusing the mask add also
 * saves a pass, and keys the mask hides ({@code mask <= }{@link Attention#HIDDEN}, e.g. the causal
 * upper half) skip the exponential: their probability is exactly 0 either way. A row whose keys
 * are all hidden (a padding query) gets all zeros.
 *
 * <p>Each mask row's visible keys lie in one span {@code [lo, hi)} ({@link VisibleKeys}); a score
 * row reads and exponentiates that span only and writes zeros around it, whole rows moving by bulk
 * copies. With a causal mask that halves the work, and the bits are those of a pass over every
 * key: a hidden key adds an exact 0 to the sum (docs/measurements.md, "Benchmark results"). The
 * zeros it writes are what lets the products after it stop at the spans ({@link HeadProducts}).
 */
final class MaskedSoftmax {
    private MaskedSoftmax() {}

    /**
     * @param scores {@code [B, KV, G*T, Tk]}, contiguous; overwritten with probabilities. Of each
     *               row only its visible span is read (what lies past it may be unwritten, {@link
     *               HeadProducts.Cut#COLUMNS}); the whole row is written.
     * @param mask   {@code [B, 1, 1, T, Tk]}, contiguous
     * @param keys   the mask's visible spans
     */
    static void apply(INDArray scores, INDArray mask, VisibleKeys keys) {
        int tk = (int) scores.size(3);
        int rows = (int) (scores.length() / tk);
        int rowsPerBatchRow = (int) (scores.size(1) * scores.size(2));
        CoreRanges.run(rows, 1, (fromRow, toRow) -> {
            Rows io = new Rows(scores, mask, tk);
            double[] v = new double[tk];
            for (int r = fromRow; r < toRow; r++) {
                int maskRow = keys.maskRow(r / rowsPerBatchRow, r);
                int from = keys.lo(maskRow), to = keys.hi(maskRow);
                io.readSpan(r, maskRow, from, to, v);
                double max = Double.NEGATIVE_INFINITY;
                for (int k = from; k < to; k++) {
                    if (v[k] > max) max = v[k];
                }
                double inv = exponentiate(v, from, to, max);
                io.writeRow(r, v, from, to, inv);
            }
        });
    }

    /**
     * The softmax's backward, in place: {@code dS = p * (dP - rowDot)} over each row's visible span,
     * 0 around it, rounded as ND4J's subtract and multiply in the arrays' type rounded it. Only the
     * span of {@code dP} is read, as {@link #apply} reads the scores.
     *
     * @param dP     {@code [B, KV, G*T, Tk]}, contiguous, {@code dL/dp}; overwritten with {@code dL/dscores}
     * @param p      the probabilities, as {@code dP}
     * @param rowDot {@code [B, KV, G*T, 1]}, contiguous: {@code rowsum(dP * p)} of each row
     */
    static void backward(INDArray dP, INDArray p, INDArray rowDot, VisibleKeys keys) {
        int tk = (int) dP.size(3);
        int rows = (int) (dP.length() / tk);
        int rowsPerBatchRow = (int) (dP.size(1) * dP.size(2));
        boolean isFloat = dP.dataType() == DataType.FLOAT;
        CoreRanges.run(rows, 1, (fromRow, toRow) -> {
            Buffer d = Elementwise.view(dP), pb = Elementwise.view(p), rd = Elementwise.view(rowDot);
            double[] dv = new double[tk], pv = new double[tk], dot = new double[1];
            float[] floats = new float[tk];
            for (int r = fromRow; r < toRow; r++) {
                int maskRow = keys.maskRow(r / rowsPerBatchRow, r);
                int from = keys.lo(maskRow), to = keys.hi(maskRow), n = to - from;
                Elementwise.read(d, r * tk + from, dv, from, n, floats);
                Elementwise.read(pb, r * tk + from, pv, from, n, floats);
                Elementwise.read(rd, r, dot, 0, 1, floats);
                Arrays.fill(dv, 0, from, 0);
                for (int k = from; k < to; k++) {
                    // in double, rounded to float where ND4J's float op rounded: the same bits (53 >= 2 * 24 + 2)
                    double diff = dv[k] - dot[0];
                    dv[k] = (isFloat ? (float) diff : diff) * pv[k];
                }
                Arrays.fill(dv, to, tk, 0);
                Elementwise.write(d, r * tk, dv, 0, tk, floats);
            }
        });
    }

    /**
     * {@code v[k] = exp(v[k] - max)} over {@code v[0, n)}, 0 where {@code v[k]} is -infinity (a
     * hidden key); returns {@code 1 / sum}, or 0 when every key is hidden.
     */
    static double exponentiate(double[] v, int n, double max) {
        return exponentiate(v, 0, n, max);
    }

    private static double exponentiate(double[] v, int from, int to, double max) {
        double sum = 0;
        for (int k = from; k < to; k++) {
            double e = v[k] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(v[k] - max);
            v[k] = e;
            sum += e;
        }
        return sum > 0 ? 1 / sum : 0;
    }

    /** One thread's row traffic with the score and mask buffers, float or double, by bulk copies. */
    private static final class Rows {
        private final int tk;
        private final FloatBuffer sf, mf;
        private final DoubleBuffer sd, md;
        private final float[] scoreF, maskF;
        private final double[] scoreD, maskD;

        Rows(INDArray scores, INDArray mask, int tk) {
            this.tk = tk;
            boolean isFloat = scores.dataType() == DataType.FLOAT;
            sf = isFloat ? scores.data().asNioFloat() : null;
            mf = isFloat ? mask.data().asNioFloat() : null;
            sd = isFloat ? null : scores.data().asNioDouble();
            md = isFloat ? null : mask.data().asNioDouble();
            scoreF = isFloat ? new float[tk] : null;
            maskF = isFloat ? new float[tk] : null;
            scoreD = isFloat ? null : new double[tk];
            maskD = isFloat ? null : new double[tk];
        }

        /** {@code v[k] = score + mask} over {@code [from, to)} of score row {@code r}, -infinity where hidden. */
        void readSpan(int r, int maskRow, int from, int to, double[] v) {
            int n = to - from, so = r * tk + from, mo = maskRow * tk + from;
            double hidden = Attention.HIDDEN;
            if (sf != null) {
                sf.get(so, scoreF, from, n);
                mf.get(mo, maskF, from, n);
                for (int k = from; k < to; k++) {
                    double m = maskF[k];
                    v[k] = m <= hidden ? Double.NEGATIVE_INFINITY : scoreF[k] + m;
                }
            } else {
                sd.get(so, scoreD, from, n);
                md.get(mo, maskD, from, n);
                for (int k = from; k < to; k++) {
                    double m = maskD[k];
                    v[k] = m <= hidden ? Double.NEGATIVE_INFINITY : scoreD[k] + m;
                }
            }
        }

        /** Score row {@code r} := {@code v[k] * inv} over {@code [from, to)}, 0 elsewhere. */
        void writeRow(int r, double[] v, int from, int to, double inv) {
            if (sf != null) {
                Arrays.fill(scoreF, 0, from, 0f);
                for (int k = from; k < to; k++) scoreF[k] = (float) (v[k] * inv);
                Arrays.fill(scoreF, to, tk, 0f);
                sf.put(r * tk, scoreF, 0, tk);
            } else {
                Arrays.fill(scoreD, 0, from, 0d);
                for (int k = from; k < to; k++) scoreD[k] = v[k] * inv;
                Arrays.fill(scoreD, to, tk, 0d);
                sd.put(r * tk, scoreD, 0, tk);
            }
        }
    }
}
