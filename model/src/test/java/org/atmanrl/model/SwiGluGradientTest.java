package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SwiGLU's gate and up gradients ({@link Mlp#gateAndUpGradients}) where the whole-model gradient
 * check does not reach: pre-activations far out on both sides, in float, and arrays longer than
 * one thread's share. ND4J's SwishDerivative, which it replaced, gave NaN from a gate of 45 on.
 */
class SwiGluGradientTest {
    @Test
    void largePreActivationsGiveTheLimitsNotNaN() {
        float[] gate = {-1000f, -100f, -50f, -3f, 0f, 3f, 45f, 50f, 100f, 1000f};
        int n = gate.length;
        INDArray g = Nd4j.createFromArray(gate), u = Nd4j.valueArrayOf(new long[] {n}, 2f, DataType.FLOAT);
        INDArray dh = Nd4j.valueArrayOf(new long[] {n}, 3f, DataType.FLOAT);
        INDArray dg = Nd4j.create(DataType.FLOAT, n), du = Nd4j.create(DataType.FLOAT, n);
        Mlp.gateAndUpGradients(g, u, dh, dg, du);
        for (int i = 0; i < n; i++) {
            double x = gate[i];
            assertTrue(Double.isFinite(dg.getDouble(i)) && Double.isFinite(du.getDouble(i)), "gate " + x);
            if (x >= 45) { // silu(x) = x and silu'(x) = 1 to float precision
                assertEquals(3 * x, du.getDouble(i), 1e-6 * x, "du at gate " + x);
                assertEquals(6, dg.getDouble(i), 1e-6, "dg at gate " + x);
            } else if (x <= -50) {
                assertEquals(0, du.getDouble(i), 1e-15, "du at gate " + x);
                assertEquals(0, dg.getDouble(i), 1e-15, "dg at gate " + x);
            }
        }
    }

    /** Against central differences of {@code silu(g) * u} in double, over several threads' ranges. */
    @Test
    void gradientsMatchFiniteDifferencesOverManyElements() {
        int n = 10_000; // several blocks per thread
        INDArray g = TinyModels.gaussian(DataType.DOUBLE, 5, 4.0, n), u = TinyModels.gaussian(DataType.DOUBLE, 6, 1.0, n);
        INDArray dh = TinyModels.gaussian(DataType.DOUBLE, 7, 1.0, n);
        INDArray dg = Nd4j.create(DataType.DOUBLE, n), du = Nd4j.create(DataType.DOUBLE, n);
        Mlp.gateAndUpGradients(g, u, dh, dg, du);
        double h = 1e-6;
        for (int i = 0; i < n; i++) {
            double x = g.getDouble(i), ui = u.getDouble(i), d = dh.getDouble(i);
            double dgNumeric = d * ui * (silu(x + h) - silu(x - h)) / (2 * h);
            assertEquals(dgNumeric, dg.getDouble(i), 1e-7 * Math.max(1, Math.abs(dgNumeric)), "dg at " + i);
            assertEquals(d * silu(x), du.getDouble(i), 1e-12 * Math.max(1, Math.abs(d * silu(x))), "du at " + i);
        }
    }

    private static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }
}
