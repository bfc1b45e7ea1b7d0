package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The spans and zero-span flags read off a mask: what lets the softmax skip the hidden keys and,
 * where the span holds only zeros, the mask itself ({@link MaskedSoftmax}).
 */
class VisibleKeysTest {
    private static final float H = (float) Attention.HIDDEN;

    @Test
    void spansAndZeroFlagsOfCausalBiasedAndPaddedRows() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            // one batch row, four queries over four keys
            float[][] rows = {
                {0, H, H, H},          // causal, first query
                {0, 0.5f, H, H},       // a bias on key 1
                {H, 0, 0, H},          // a padded first key
                {H, H, H, H},          // a padding query: every key hidden
            };
            INDArray mask = Nd4j.createFromArray(rows).castTo(type).reshape(1, 1, 1, 4, 4);
            VisibleKeys keys = VisibleKeys.of(mask);
            int[][] spans = {{0, 1}, {0, 2}, {1, 3}, {0, 0}};
            boolean[] zero = {true, false, true, true};
            for (int q = 0; q < 4; q++) {
                assertEquals(spans[q][0], keys.lo(q), type + " lo of query " + q);
                assertEquals(spans[q][1], keys.hi(q), type + " hi of query " + q);
                assertEquals(zero[q], keys.zeroSpan(q), type + " zero span of query " + q);
            }
        }
    }

    @Test
    void aHiddenKeyInsideTheSpanIsNotAZeroSpan() {
        INDArray mask = Nd4j.createFromArray(new float[] {0, H, 0, H}).reshape(1, 1, 1, 1, 4);
        VisibleKeys keys = VisibleKeys.of(mask);
        assertEquals(0, keys.lo(0));
        assertEquals(3, keys.hi(0));
        assertEquals(false, keys.zeroSpan(0), "the softmax must read the mask to hide key 1");
    }
}
