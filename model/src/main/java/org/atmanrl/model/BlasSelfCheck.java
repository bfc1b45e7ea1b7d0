package org.atmanrl.model;

import java.util.function.BinaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A startup check that the BLAS library under ND4J multiplies matrices correctly on this
 * processor (docs/design.md 6.1, "The BLAS core type"). The OpenBLAS that ND4J bundles (0.3.19)
 * picks its kernels by processor model; on processors newer than it, it falls back to slow generic
 * kernels, and old builds are known to compute wrong results on some recent processors. A wrong
 * product would train a wrong model without an error, so every JVM that builds a {@link
 * LlamaModel} (the driver, each executor) first multiplies a small random float and double pair,
 * odd-sized so that the kernels' edge cases run, and compares every entry with a plain Java
 * product in double. Once per JVM; about a millisecond after ND4J's start.
 */
public final class BlasSelfCheck {
    /** Shapes [M, K] x [K, N]: not multiples of any kernel's block size. */
    static final int M = 37, K = 131, N = 67;
    /**
     * An entry may be off by this much relative to {@code sum_k |a_ik b_kj|}: float rounding over
     * K = 131 terms stays below 131 x 6e-8 = 8e-6; a wrong kernel is off by order 1.
     */
    static final double TOLERANCE = 1e-4;

    private static volatile boolean passed;

    private BlasSelfCheck() {
    }

    /** The product was wrong: the message is one line naming the fix. */
    public static final class WrongProductException extends RuntimeException {
        WrongProductException(String message) {
            super(message);
        }
    }

    /** Runs the check once per JVM; throws {@link WrongProductException} if BLAS is wrong. */
    public static void requireCorrect() {
        if (passed) return;
        synchronized (BlasSelfCheck.class) {
            if (passed) return;
            for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                double worst = worstError(t, INDArray::mmul);
                if (!(worst <= TOLERANCE)) throw wrongFor(t, worst);
            }
            passed = true;
        }
    }

    /**
     * The largest error of {@code product} on the check's pair in {@code type}, each entry's
     * error relative to {@code sum_k |a_ik b_kj|}; NaN if an entry is not finite.
     */
    static double worstError(DataType type, BinaryOperator<INDArray> product) {
        java.util.Random random = new java.util.Random(20261203L);
        double[][] a = new double[M][K], b = new double[K][N];
        for (double[] row : a) for (int k = 0; k < K; k++) row[k] = random.nextDouble() * 2 - 1;
        for (double[] row : b) for (int j = 0; j < N; j++) row[j] = random.nextDouble() * 2 - 1;
        double worst = 0;
        try (INDArray x = Nd4j.create(a).castTo(type); INDArray y = Nd4j.create(b).castTo(type);
             INDArray c = product.apply(x, y)) {
            double[][] got = c.castTo(DataType.DOUBLE).toDoubleMatrix(); // [M, N]
            // the inputs as the library saw them: rounded to the check's type
            double[][] xa = x.castTo(DataType.DOUBLE).toDoubleMatrix(), yb = y.castTo(DataType.DOUBLE).toDoubleMatrix();
            for (int i = 0; i < M; i++) {
                for (int j = 0; j < N; j++) {
                    double exact = 0, scale = 0;
                    for (int k = 0; k < K; k++) {
                        double p = xa[i][k] * yb[k][j];
                        exact += p;
                        scale += Math.abs(p);
                    }
                    double e = Math.abs(got[i][j] - exact) / Math.max(scale, Double.MIN_NORMAL);
                    if (!Double.isFinite(got[i][j])) return Double.NaN;
                    worst = Math.max(worst, e);
                }
            }
        }
        return worst;
    }

    static WrongProductException wrongFor(DataType type, double worst) {
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        return new WrongProductException(String.format(java.util.Locale.ROOT,
                "the BLAS library multiplied a [%d, %d] x [%d, %d] %s matrix pair wrongly (worst entry off by %.3g of its"
                        + " scale, allowed %.0e) with OPENBLAS_CORETYPE %s on this processor; set OPENBLAS_CORETYPE to a"
                        + " core type this OpenBLAS knows, e.g. Haswell, in the environment of every JVM (driver and"
                        + " executors; docs/design.md 6.1)", M, K, K, N, type.name().toLowerCase(java.util.Locale.ROOT),
                worst, TOLERANCE, coreType == null ? "unset" : "'" + coreType + "'"));
    }
}
