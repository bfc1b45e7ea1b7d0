package org.atmanrl.executor.optim;

import java.util.Collection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_}: the norm is taken over all
 * tensors together ({@code sqrt(Σ_tensors ‖g‖²)}), and when it exceeds {@code maxNorm} every
 * gradient is multiplied by {@code maxNorm / norm}. Two differences from PyTorch, both on purpose:
 * the scale has no {@code + 1e-6} in its denominator, so the clipped norm is {@code maxNorm}
 * (up to float rounding) rather than slightly less; and a NaN or infinite norm is reported and
 * nothing is scaled (PyTorch, with {@code error_if_nonfinite=False}, would multiply every gradient by
 * NaN). The caller should then skip the optimizer step.
 *
 * <p>Sums run in double, tensors in the given order and elements in row-major order, so the norm
 * is deterministic.
 */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * @param norm  the global norm before clipping (NaN or infinite when a gradient was)
     * @param scale the factor applied to every gradient: 1 when not clipped or not finite
     */
    public record Result(double norm, double scale) {
        public boolean finite() { return Double.isFinite(norm); }
        public boolean clipped() { return scale != 1; }
    }

    /** {@code sqrt(Σ g²)} over all arrays, accumulated in double in order. */
    public static double globalNorm(float[][] gradients) {
        return Math.sqrt(sumOfSquares(gradients));
    }

    private static double sumOfSquares(float[][] gradients) {
        double ss = 0;
        for (float[] g : gradients) {
            for (float x : g) ss += (double) x * x;
        }
        return ss;
    }

    /** Clips plain arrays in place. */
    public static Result clip(float[][] gradients, double maxNorm) {
        return clip(gradients, sumOfSquares(gradients), maxNorm);
    }

    /**
     * Clips plain arrays (as {@code NormalisedGradient.gradients()}) in place, by the norm
     * {@code sqrt(sumOfSquares)}: the caller sums the squares in the order it must be reproducible
     * in (per shard, docs/design.md 3.5).
     */
    public static Result clip(float[][] gradients, double sumOfSquares, double maxNorm) {
        checkMaxNorm(maxNorm);
        double norm = Math.sqrt(sumOfSquares);
        double scale = scale(norm, maxNorm);
        if (scale != 1) {
            for (float[] g : gradients) {
                for (int j = 0; j < g.length; j++) g[j] = (float) (g[j] * scale);
            }
        }
        return new Result(norm, scale);
    }

    /** {@code sqrt(Σ ‖g‖²)}: each tensor's norm by ND4J in double, combined in the given order. */
    public static double globalNorm(Collection<INDArray> gradients) {
        double ss = 0;
        for (INDArray g : gradients) {
            INDArray d = g.dataType() == DataType.DOUBLE ? g : g.castTo(DataType.DOUBLE);
            double n = d.norm2Number().doubleValue();
            if (d != g) d.close();
            ss += n * n;
        }
        return Math.sqrt(ss);
    }

    /** Clips ND4J arrays in place. */
    public static Result clip(Collection<INDArray> gradients, double maxNorm) {
        checkMaxNorm(maxNorm);
        double norm = globalNorm(gradients);
        double scale = scale(norm, maxNorm);
        if (scale != 1) {
            for (INDArray g : gradients) g.muli(scale);
        }
        return new Result(norm, scale);
    }

    private static double scale(double norm, double maxNorm) {
        return Double.isFinite(norm) && norm > maxNorm ? maxNorm / norm : 1;
    }

    static void checkMaxNorm(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be > 0 (infinity for no clipping), got " + maxNorm);
        }
    }
}
