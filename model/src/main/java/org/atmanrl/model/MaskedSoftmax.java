package org.atmanrl.model;

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
 * <p>Each mask row's visible keys lie in one span {@code [lo, hi)} (from its first visible key to
 * its last), found once per call; a score row reads and exponentiates that span only and writes
 * zeros around it, whole rows moving by bulk copies. With a causal mask that halves the work, and
 * the bits are those of a pass over every key: a hidden key adds an exact 0 to the sum
 * (docs/measurements.md, "Benchmark results").
 */
final class MaskedSoftmax {
    private MaskedSoftmax() {}

    /**
     * @param scores {@code [B, KV, G*T, Tk]}, contiguous; overwritten with probabilities
     * @param mask   {@code [B, 1, 1, T, Tk]}, contiguous
     */
    static void apply(INDArray scores, INDArray mask, int length) {
        int tk = (int) scores.size(3);
        int rows = (int) (scores.length() / tk);
        int rowsPerBatchRow = (int) (scores.size(1) * scores.size(2));
        int[][] spans = new Rows(scores, mask, tk).visibleSpans();
        int[] lo = spans[0], hi = spans[1];
        CoreRanges.run(rows, 1, (fromRow, toRow) -> {
            Rows io = new Rows(scores, mask, tk);
            double[] v = new double[tk];
            for (int r = fromRow; r < toRow; r++) {
                int maskRow = (r / rowsPerBatchRow) * length + r % length;
                int from = lo[maskRow], to = hi[maskRow];
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
        private final int tk, maskRows;
        private final FloatBuffer sf, mf;
        private final DoubleBuffer sd, md;
        private final float[] scoreF, maskF;
        private final double[] scoreD, maskD;

        Rows(INDArray scores, INDArray mask, int tk) {
            this.tk = tk;
            maskRows = (int) (mask.length() / tk);
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

        /**
         * Per mask row, {@code [lo, hi)}: from its first key the mask does not hide to one past its
         * last; {@code lo == hi} when it hides every key.
         */
        int[][] visibleSpans() {
            int[] lo = new int[maskRows], hi = new int[maskRows];
            for (int row = 0; row < maskRows; row++) {
                int o = row * tk, first = 0, last = tk - 1;
                while (first < tk && mask(o + first) <= Attention.HIDDEN) first++;
                while (last >= first && mask(o + last) <= Attention.HIDDEN) last--;
                lo[row] = first < tk ? first : 0;
                hi[row] = first < tk ? last + 1 : 0;
            }
            return new int[][] {lo, hi};
        }

        private double mask(int index) {
            return mf != null ? mf.get(index) : md.get(index);
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
