package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * RMSNorm on enough rows to run in ranges over the cores ({@link CoreRanges}), which the model's
 * gradient checks (a few rows) never reach: forward and backward against a plain one-thread
 * computation in double, and the float weight gradient the same bytes on every run.
 */
class RmsNormRowsTest {
    static final int ROWS = 1000, DIM = 24;
    static final double EPS = 1e-5;

    @Test
    void rowsInRangesMatchAPlainPass() {
        INDArray x = TinyModels.gaussian(DataType.DOUBLE, 1, 2.0, ROWS, DIM);
        INDArray w = TinyModels.gaussian(DataType.DOUBLE, 2, 1.0, DIM);
        INDArray dy = TinyModels.gaussian(DataType.DOUBLE, 3, 1.0, ROWS, DIM);
        INDArray r = RmsNorm.inverseRms(x, EPS);
        INDArray y = RmsNorm.forward(x, w, r);
        INDArray dw = Nd4j.zeros(DataType.DOUBLE, DIM);
        INDArray dx = RmsNorm.backward(dy, x, w, r, dw);

        double[] dwPlain = new double[DIM];
        for (int i = 0; i < ROWS; i++) {
            double ss = 0;
            for (int j = 0; j < DIM; j++) ss += x.getDouble(i, j) * x.getDouble(i, j);
            double ri = 1 / Math.sqrt(ss / DIM + EPS), dot = 0;
            assertEquals(ri, r.getDouble(i, 0), 1e-12 * ri, "factor of row " + i);
            for (int j = 0; j < DIM; j++) {
                double xhat = x.getDouble(i, j) * ri;
                assertEquals(xhat * w.getDouble(j), y.getDouble(i, j), 1e-12, "y at " + i + "," + j);
                dot += dy.getDouble(i, j) * w.getDouble(j) * xhat;
                dwPlain[j] += dy.getDouble(i, j) * xhat;
            }
            for (int j = 0; j < DIM; j++) {
                double xhat = x.getDouble(i, j) * ri;
                double expected = (dy.getDouble(i, j) * w.getDouble(j) - xhat * dot / DIM) * ri;
                assertEquals(expected, dx.getDouble(i, j), 1e-12 * Math.max(1, Math.abs(expected)), "dx at " + i + "," + j);
            }
        }
        for (int j = 0; j < DIM; j++) {
            assertEquals(dwPlain[j], dw.getDouble(j), 1e-9 * Math.max(1, Math.abs(dwPlain[j])), "dw at " + j);
        }
        Arrays2.release(y, dx); // pooled: this thread's pool must end with nothing lent (BufferPoolTest)
    }

    @Test
    void theFloatWeightGradientIsTheSameBytesEveryRun() {
        INDArray x = TinyModels.gaussian(DataType.DOUBLE, 4, 2.0, ROWS, DIM).castTo(DataType.FLOAT);
        INDArray w = TinyModels.gaussian(DataType.DOUBLE, 5, 1.0, DIM).castTo(DataType.FLOAT);
        INDArray dy = TinyModels.gaussian(DataType.DOUBLE, 6, 1.0, ROWS, DIM).castTo(DataType.FLOAT);
        INDArray r = RmsNorm.inverseRms(x, EPS);
        float[] first = null;
        for (int run = 0; run < 5; run++) {
            INDArray dw = Nd4j.zeros(DataType.FLOAT, DIM);
            Arrays2.release(RmsNorm.backward(dy, x, w, r, dw));
            if (first == null) {
                first = dw.toFloatVector();
            } else {
                assertArrayEquals(first, dw.toFloatVector(), "run " + run);
            }
        }
    }
}
