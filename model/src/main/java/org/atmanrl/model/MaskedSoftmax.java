package org.atmanrl.model;

import java.nio.Buffer;
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
 * row reads and exponentiates that span only and writes zeros around it, spans and zeros moving by
 * bulk copies; a mask row that is 0 over its whole span (no bias) is not read at all. With a
 * causal mask that halves the work, and the bits are those of a pass over every key: a hidden key
 * adds an exact 0 to the sum (docs/measurements.md, "Benchmark results"). The zeros it writes are
 * what lets the products after it stop at the spans ({@link HeadProducts}).
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
            Buffer sb = Elementwise.view(scores), mb = Elementwise.view(mask);
            double[] v = new double[tk], m = new double[tk];
            float[] floats = new float[tk];
            for (int r = fromRow; r < toRow; r++) {
                int maskRow = keys.maskRow(r / rowsPerBatchRow, r);
                int from = keys.lo(maskRow), to = keys.hi(maskRow), n = to - from;
                Elementwise.read(sb, r * tk + from, v, 0, n, floats);
                double max = Double.NEGATIVE_INFINITY;
                if (keys.zeroSpan(maskRow)) {
                    // the mask adds 0 to every key of the span (no bias): the scores as they are
                    for (int k = 0; k < n; k++) {
                        if (v[k] > max) max = v[k];
                    }
                } else {
                    Elementwise.read(mb, maskRow * tk + from, m, 0, n, floats);
                    for (int k = 0; k < n; k++) {
                        v[k] = m[k] <= Attention.HIDDEN ? Double.NEGATIVE_INFINITY : v[k] + m[k];
                        if (v[k] > max) max = v[k];
                    }
                }
                double inv = exponentiate(v, n, max);
                for (int k = 0; k < n; k++) v[k] *= inv;
                Elementwise.zero(sb, r * tk, from);
                Elementwise.write(sb, r * tk + from, v, 0, n, floats);
                Elementwise.zero(sb, r * tk + to, tk - to);
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
                Elementwise.read(d, r * tk + from, dv, 0, n, floats);
                Elementwise.read(pb, r * tk + from, pv, 0, n, floats);
                Elementwise.read(rd, r, dot, 0, 1, floats);
                for (int k = 0; k < n; k++) {
                    // in double, rounded to float where ND4J's float op rounded: the same bits (53 >= 2 * 24 + 2)
                    double diff = dv[k] - dot[0];
                    dv[k] = (isFloat ? (float) diff : diff) * pv[k];
                }
                Elementwise.zero(d, r * tk, from);
                Elementwise.write(d, r * tk + from, dv, 0, n, floats);
                Elementwise.zero(d, r * tk + to, tk - to);
            }
        });
    }

    /**
     * {@code v[k] = exp(v[k] - max)} over {@code v[0, n)}, 0 where {@code v[k]} is -infinity (a
     * hidden key); returns {@code 1 / sum}, or 0 when every key is hidden.
     */
    static double exponentiate(double[] v, int n, double max) {
        for (int k = 0; k < n; k++) {
            v[k] = v[k] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(v[k] - max);
        }
        // summed in a loop of its own, in the same order: the loop above then carries no dependency
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += v[k];
        }
        return sum > 0 ? 1 / sum : 0;
    }
}
