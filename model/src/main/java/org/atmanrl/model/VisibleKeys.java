package org.atmanrl.model;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
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
    private final int length;

    private VisibleKeys(int[] lo, int[] hi, int length) {
        this.lo = lo;
        this.hi = hi;
        this.length = length;
        rowMaxHi = new int[lo.length / length];
        for (int q = 0; q < hi.length; q++) {
            rowMaxHi[q / length] = Math.max(rowMaxHi[q / length], hi[q]);
        }
    }

    /** @param mask {@code [B, 1, 1, T, Tk]}, contiguous, float or double */
    static VisibleKeys of(INDArray mask) {
        int tk = (int) mask.size(4), length = (int) mask.size(3), rows = (int) (mask.length() / tk);
        FloatBuffer mf = mask.dataType() == DataType.FLOAT ? mask.data().asNioFloat() : null;
        DoubleBuffer md = mf == null ? mask.data().asNioDouble() : null;
        int[] lo = new int[rows], hi = new int[rows];
        for (int row = 0; row < rows; row++) {
            int o = row * tk, first = 0, last = tk - 1;
            while (first < tk && hidden(mf, md, o + first)) first++;
            while (last >= first && hidden(mf, md, o + last)) last--;
            lo[row] = first < tk ? first : 0;
            hi[row] = first < tk ? last + 1 : 0;
        }
        return new VisibleKeys(lo, hi, length);
    }

    private static boolean hidden(FloatBuffer mf, DoubleBuffer md, int index) {
        return (mf != null ? mf.get(index) : md.get(index)) <= Attention.HIDDEN;
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
