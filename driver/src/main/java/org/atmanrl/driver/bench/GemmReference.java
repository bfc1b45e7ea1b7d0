package org.atmanrl.driver.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's own fp32 matrix product, the ceiling the model's GFLOP/s are compared with: whatever the
 * model loses below it is overhead of the model code, not of the BLAS.
 */
final class GemmReference {
    static final int N = 2048;
    /** Each run takes ~0.1 s, and a cold or single GEMM figure would skew every ratio. */
    static final int MIN_WARMUP = 1;
    static final int MIN_REPEATS = 5;

    private GemmReference() {}

    static Measurement measure(RepeatedRun runs) {
        INDArray a = Nd4j.rand(DataType.FLOAT, N, N);
        INDArray b = Nd4j.rand(DataType.FLOAT, N, N);
        INDArray c = Nd4j.zeros(DataType.FLOAT, N, N);
        try {
            Timings t = runs.time(Measurement.GEMM + " n=" + N, () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0));
            return Measurement.gemm(N, t);
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }
}
