package org.atmanrl.model;

import java.nio.Buffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * For each query of an attention mask {@code [B, 1, 1, T, Tk]}, the span {@code [lo, hi)} of keys
 * from the first one the mask does not hide ({@code > }{@link Attention#HIDDEN}) to one past the
 * last; {@code lo == hi == 0} when it hides every key. Found once per pass (one mask serves every
 * layer) and read by the softmax ({@link MaskedSoftmax}) and by the products that skip keys past
 * a span ({@link HeadProducts}): with a causal mask, half of every score row.
 *
 * <p>Score rows are those of {@code [B, KV, G*T, Tk]}: row {@code r} belongs to batch row {@code
 * r / (KV*G*T)} and query {@code r % T}.
 */
final class VisibleKeys {
    private final int[] lo, hi, rowMaxHi;
    /** Per mask row: whether the mask holds exactly 0 at every key of its span. */
    private final boolean[] zeroSpan;
    private final int length;

    private VisibleKeys(int[] lo, int[] hi, boolean[] zeroSpan, int length) {
        this.lo = lo;
        this.hi = hi;
        this.zeroSpan = zeroSpan;
        this.length = length;
        rowMaxHi = new int[lo.length / length];
        for (int q = 0; q < hi.length; q++) {
            rowMaxHi[q / length] = Math.max(rowMaxHi[q / length], hi[q]);
        }
    }

    /** @param mask {@code [B, 1, 1, T, Tk]}, contiguous, float or double */
    static VisibleKeys of(INDArray mask) {
        int tk = (int) mask.size(4), length = (int) mask.size(3), rows = (int) (mask.length() / tk);
        Buffer mb = Elementwise.view(mask);
        int[] lo = new int[rows], hi = new int[rows];
        boolean[] zeroSpan = new boolean[rows];
        double[] m = new double[tk];
        float[] floats = new float[tk];
        for (int row = 0; row < rows; row++) {
            Elementwise.read(mb, row * tk, m, 0, tk, floats);
            int first = 0, last = tk - 1;
            while (first < tk && m[first] <= Attention.HIDDEN) first++;
            while (last >= first && m[last] <= Attention.HIDDEN) last--;
            lo[row] = first < tk ? first : 0;
            hi[row] = first < tk ? last + 1 : 0;
            boolean zero = true;
            for (int k = lo[row]; k < hi[row]; k++) zero &= m[k] == 0;
            zeroSpan[row] = zero;
        }
        return new VisibleKeys(lo, hi, zeroSpan, length);
    }

    /** Queries per batch row ({@code T}). */
    int length() {
        return length;
    }

    /** The mask row of query row {@code i} of batch row {@code b}'s score matrices. */
    int maskRow(int b, int i) {
        return b * length + i % length;
    }

    int lo(int maskRow) {
        return lo[maskRow];
    }

    int hi(int maskRow) {
        return hi[maskRow];
    }

    /**
     * Whether mask row {@code maskRow} is exactly 0 over its whole span (every key there visible, no
     * bias): adding it changes no score, so the softmax need not read it.
     */
    boolean zeroSpan(int maskRow) {
        return zeroSpan[maskRow];
    }

    /** The largest {@link #hi} of query rows {@code [from, to)} of batch row {@code b}'s score matrices. */
    int maxHi(int b, int from, int to) {
        if (to - from >= length) {
            return rowMaxHi[b];
        }
        int most = 0;
        for (int i = from; i < to; i++) {
            most = Math.max(most, hi[maskRow(b, i)]);
        }
        return most;
    }
}
