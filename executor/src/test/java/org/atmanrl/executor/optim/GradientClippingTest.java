package org.atmanrl.executor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GradientClippingTest {
    @Test
    void scalesToTheMaxNormExactlyAcrossTensors() {
        // Global norm of (3) and (4, 0) is 5; clipped to 1 they become (0.6) and (0.8, 0).
        float[][] g = {{3f}, {4f, 0f}};
        GradientClipping.Result r = GradientClipping.clip(g, 1.0);
        assertEquals(5.0, r.norm(), 0.0, "the pre-clip norm");
        assertEquals(0.2, r.scale(), 1e-16);
        assertTrue(r.clipped() && r.finite());
        assertArrayEquals(new float[] {0.6f}, g[0], 0f);
        assertArrayEquals(new float[] {0.8f, 0f}, g[1], 0f);
        assertEquals(1.0, GradientClipping.globalNorm(g), 1e-7);
    }

    @Test
    void leavesSmallGradientsAlone() {
        float[][] g = {{0.3f, -0.4f}};
        GradientClipping.Result r = GradientClipping.clip(g, 1.0);
        assertEquals(0.5, r.norm(), 1e-7);
        assertEquals(1.0, r.scale(), 0.0);
        assertFalse(r.clipped());
        assertArrayEquals(new float[] {0.3f, -0.4f}, g[0], 0f);
        // Exactly at the limit: not clipped either.
        float[][] h = {{3f}, {4f}};
        assertFalse(GradientClipping.clip(h, 5.0).clipped());
        assertArrayEquals(new float[] {3f}, h[0], 0f);
    }

    @Test
    void nonFiniteNormIsReportedAndNotApplied() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[][] g = {{3f, bad}, {4f}};
            GradientClipping.Result r = GradientClipping.clip(g, 1.0);
            assertFalse(r.finite());
            assertFalse(r.clipped());
            assertEquals(3f, g[0][0], 0f, "nothing scaled");
            assertEquals(4f, g[1][0], 0f);
        }
    }

    @Test
    void ndArraysClipTheSameWay() {
        INDArray a = Nd4j.createFromArray(3f), b = Nd4j.createFromArray(new float[][] {{4f, 0f}});
        GradientClipping.Result r = GradientClipping.clip(List.of(a, b), 2.0);
        assertEquals(5.0, r.norm(), 1e-12);
        assertEquals(1.2f, a.getFloat(0), 1e-7f);
        assertEquals(1.6f, b.getFloat(0, 0), 1e-7f);
        INDArray n = Nd4j.createFromArray(1.0, Double.NaN);
        assertFalse(GradientClipping.clip(List.of(n), 1.0).finite());
        assertEquals(1.0, n.getDouble(0), 0.0);
        INDArray small = Nd4j.createFromArray(0.1, 0.2);
        assertFalse(GradientClipping.clip(List.of(small), 1.0).clipped());
        assertArrayEquals(new double[] {0.1, 0.2}, small.toDoubleVector(), 0.0);
    }

    @Test
    void maxNormMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clip(new float[][] {{1f}}, 0));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clip(new float[][] {{1f}}, Double.NaN));
        assertFalse(GradientClipping.clip(new float[][] {{1e30f}}, Double.POSITIVE_INFINITY).clipped());
    }
}
