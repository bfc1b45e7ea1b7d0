package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The attention's tiled products ({@link HeadProducts}) and the softmax's backward ({@link
 * MaskedSoftmax#backward}) against ND4J's whole-matrix ops, at sizes that split each matrix into
 * many tiles over the cores. Entries past a row's visible keys hold NaN where the code must not
 * read them: one read turns a compared entry NaN.
 */
class HeadProductsTest {
    static final int B = 2, KV = 2, G = 2, T = 256, HD = 32, PAST = 16, TK = PAST + T;

    /**
     * Batch row 0: causal after {@code PAST} prefix keys. Row 1: also its first 3 and last 24 keys
     * hidden (padding) and its last 40 queries see nothing (padding queries: whole tiles of them).
     */
    static INDArray mask(DataType dt) {
        double[] m = new double[B * T * TK];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int k = 0; k < TK; k++) {
                    boolean visible = k <= PAST + t && !(b == 1 && (k < 3 || k >= TK - 24 || t >= T - 40));
                    m[(b * T + t) * TK + k] = visible ? 0.25 * ((k + t) % 3) : Attention.HIDDEN;
                }
            }
        }
        return Nd4j.create(m, new long[] {B, 1, 1, T, TK}, dt);
    }

    static INDArray gaussian(DataType dt, long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian();
        return Nd4j.create(v, shape, dt);
    }

    /**
     * A copy of score-shaped {@code s} {@code [B, KV, G*T, TK]} with {@code near} past each row's
     * span and {@code far} past the last key any query of its batch row sees.
     */
    static INDArray pastSpans(INDArray s, VisibleKeys keys, double near, double far) {
        INDArray out = s.dup('c');
        for (int b = 0; b < B; b++) {
            int last = keys.maxHi(b, 0, T);
            for (int h = 0; h < KV; h++) {
                for (int i = 0; i < G * T; i++) {
                    for (int k = keys.hi(keys.maskRow(b, i)); k < TK; k++) {
                        out.putScalar(new long[] {b, h, i, k}, k < last ? near : far);
                    }
                }
            }
        }
        return out;
    }

    static void assertClose(INDArray expected, INDArray actual, long[] at, String what) {
        double e = expected.getDouble(at), a = actual.getDouble(at);
        double tol = (expected.dataType() == DataType.FLOAT ? 1e-4 : 1e-12) * Math.max(1, Math.abs(e));
        assertEquals(e, a, tol, what + " at " + java.util.Arrays.toString(at));
    }

    @ParameterizedTest
    @EnumSource(names = {"FLOAT", "DOUBLE"})
    void scoresAreComputedOverEachRowsVisibleKeys(DataType dt) {
        INDArray q = gaussian(dt, 1, B, KV, G * T, HD);
        // the keys as a decoding cache holds them: a view of the first TK cells of a longer buffer
        INDArray keys = gaussian(dt, 2, B, KV, TK + 24, HD).get(all(), all(), interval(0, TK), all());
        VisibleKeys visible = VisibleKeys.of(mask(dt));
        INDArray expected = Nd4j.matmul(q, keys.dup('c'), false, true, false);
        INDArray scores = Nd4j.valueArrayOf(new long[] {B, KV, G * T, TK}, Double.NaN, dt);
        HeadProducts.multiply(q, false, keys, true, scores, visible, HeadProducts.Cut.COLUMNS);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < KV; h++) {
                for (int i = 0; i < G * T; i++) {
                    for (int k = 0; k < visible.hi(visible.maskRow(b, i)); k++) {
                        assertClose(expected, scores, new long[] {b, h, i, k}, "score");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"FLOAT", "DOUBLE"})
    void sumsOverKeysReadNoKeyPastTheSpans(DataType dt) {
        // probabilities are 0 past a row's span (the softmax writes them); past every span of the
        // batch row nothing may be read
        VisibleKeys visible = VisibleKeys.of(mask(dt));
        INDArray p = gaussian(dt, 3, B, KV, G * T, TK);
        INDArray zeros = pastSpans(p, visible, 0, 0), garbage = pastSpans(p, visible, 0, Double.NaN);
        INDArray values = gaussian(dt, 4, B, KV, TK, HD);
        INDArray expected = Nd4j.matmul(zeros, values);
        INDArray out = Nd4j.valueArrayOf(new long[] {B, KV, G * T, HD}, Double.NaN, dt);
        HeadProducts.multiply(garbage, false, values, false, out, visible, HeadProducts.Cut.INNER);
        assertEveryEntryClose(expected, out, "p v");
    }

    @ParameterizedTest
    @EnumSource(names = {"FLOAT", "DOUBLE"})
    void transposedProductsMatchTheWholeMatrix(DataType dt) {
        INDArray p = gaussian(dt, 5, B, KV, G * T, TK);
        INDArray dOut = gaussian(dt, 6, B, KV, G * T, HD);
        INDArray expected = Nd4j.matmul(p, dOut, true, false, false);
        INDArray dV = Nd4j.valueArrayOf(new long[] {B, KV, TK, HD}, Double.NaN, dt);
        HeadProducts.multiply(p, true, dOut, false, dV, null, HeadProducts.Cut.NONE);
        assertEveryEntryClose(expected, dV, "p^T dO");
    }

    @ParameterizedTest
    @EnumSource(names = {"FLOAT", "DOUBLE"})
    void productsWithTilesTooShortStayWholeMatrices(DataType dt) {
        // hd 64 over 512 keys: 262,144 / (512 * 64) = 8 rows a tile, under the minimum
        INDArray q = gaussian(dt, 7, 1, 1, 64, 64), keys = gaussian(dt, 8, 1, 1, 512, 64);
        INDArray expected = Nd4j.matmul(q, keys, false, true, false);
        INDArray scores = Nd4j.valueArrayOf(new long[] {1, 1, 64, 512}, Double.NaN, dt);
        HeadProducts.multiply(q, false, keys, true, scores, null, HeadProducts.Cut.COLUMNS);
        assertEveryEntryClose(expected, scores, "q k^T");
    }

    @ParameterizedTest
    @EnumSource(names = {"FLOAT", "DOUBLE"})
    void softmaxBackwardRoundsAsNd4jOnTheSpansAndZerosTheRest(DataType dt) {
        VisibleKeys visible = VisibleKeys.of(mask(dt));
        INDArray p = pastSpans(gaussian(dt, 9, B, KV, G * T, TK), visible, 0, 0);
        INDArray dP = gaussian(dt, 10, B, KV, G * T, TK);
        INDArray rowDot = gaussian(dt, 11, B, KV, G * T, 1);
        INDArray expected = dP.dup().subi(rowDot).muli(p);
        INDArray dS = pastSpans(dP, visible, Double.NaN, Double.NaN);
        MaskedSoftmax.backward(dS, p, rowDot, visible);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < KV; h++) {
                for (int i = 0; i < G * T; i++) {
                    int row = visible.maskRow(b, i);
                    for (int k = 0; k < TK; k++) {
                        long[] at = {b, h, i, k};
                        boolean inSpan = k >= visible.lo(row) && k < visible.hi(row);
                        double want = inSpan ? expected.getDouble(at) : 0;
                        assertEquals(want, dS.getDouble(at), 0.0, "dS at " + java.util.Arrays.toString(at));
                    }
                }
            }
        }
    }

    private static void assertEveryEntryClose(INDArray expected, INDArray actual, String what) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()), what + " shape");
        INDArray e = expected.reshape(expected.length()), a = actual.dup('c').reshape(actual.length());
        for (long i = 0; i < e.length(); i++) {
            assertClose(e, a, new long[] {i}, what + " entry");
        }
    }
}
