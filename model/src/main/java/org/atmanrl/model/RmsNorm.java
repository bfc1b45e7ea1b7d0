package org.atmanrl.model;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code y = x / sqrt(mean(x^2) + eps) * w} over the last dimension of {@code [N, D]} rows.
 *
 * <p>Plain loops over the buffers, as {@link HeadLayout}'s, one pass a row: in ND4J the factor took
 * five ops and the product three, and at the few hundred rows of a saliency pass their fixed costs
 * came to most of a layer's time outside its GEMMs (docs/design.md 6.1, "Element-wise loops").
 * The factor is accumulated in double; products are rounded as ND4J's float ops rounded them.
 * Rows run in ranges over the cores ({@link CoreRanges}); the weight gradient's sum does not
 * depend on them.
 */
final class RmsNorm {
    /** Rows below which a pass stays on one thread: handing work to another costs more than the rows. */
    private static final int MIN_ROWS = 64;
    /** Rows whose share of the weight gradient is summed together before the groups are added in order. */
    private static final int SUM_ROWS = 32;

    private RmsNorm() {}

    /**
     * The per-row factor {@code 1 / sqrt(mean(x^2) + eps)}, shaped {@code [N, 1]}: an array of its
     * own (a column is too small for the pool's best fit to serve well, {@link BufferPool}).
     */
    static INDArray inverseRms(INDArray x, double eps) {
        int n = (int) x.size(0), d = (int) x.size(1);
        INDArray src = Arrays2.flatOrCopy(x);
        INDArray r = Nd4j.createUninitialized(x.dataType(), n, 1);
        boolean isFloat = isFloat(x);
        CoreRanges.run(n, MIN_ROWS, (from, to) -> {
            if (isFloat) {
                FloatBuffer xb = src.data().asNioFloat(), rb = r.data().asNioFloat();
                float[] row = new float[d];
                for (int i = from; i < to; i++) {
                    xb.get(i * d, row);
                    rb.put(i, inverseRms(row, 0, d, eps));
                }
            } else {
                DoubleBuffer xb = src.data().asNioDouble(), rb = r.data().asNioDouble();
                for (int i = from; i < to; i++) {
                    double ss = 0;
                    for (int j = 0; j < d; j++) {
                        double e = xb.get(i * d + j);
                        ss += e * e;
                    }
                    rb.put(i, 1.0 / Math.sqrt(ss / d + eps));
                }
            }
        });
        if (src != x) src.close();
        return r;
    }

    /** {@code 1 / sqrt(mean(x^2) + eps)} of the {@code d} values of {@code x} from {@code at}. */
    static float inverseRms(float[] x, int at, int d, double eps) {
        double ss = 0;
        for (int j = 0; j < d; j++) {
            double e = x[at + j];
            ss += e * e;
        }
        return (float) (1.0 / Math.sqrt(ss / d + eps));
    }

    /** {@code x * r * w} row by row, into a pooled array ({@link BufferPool}). */
    static INDArray forward(INDArray x, INDArray w, INDArray inverseRms) {
        int n = (int) x.size(0), d = (int) x.size(1);
        INDArray src = Arrays2.flatOrCopy(x), out = BufferPool.takeLike(x);
        boolean isFloat = isFloat(x);
        float[] wf = isFloat ? w.toFloatVector() : null;
        double[] wd = isFloat ? null : w.toDoubleVector();
        CoreRanges.run(n, MIN_ROWS, (from, to) -> {
            if (isFloat) {
                FloatBuffer xb = src.data().asNioFloat(), rb = inverseRms.data().asNioFloat(), ob = out.data().asNioFloat();
                float[] row = new float[d];
                for (int i = from; i < to; i++) {
                    float r = rb.get(i);
                    xb.get(i * d, row);
                    for (int j = 0; j < d; j++) row[j] = row[j] * r * wf[j];
                    ob.put(i * d, row);
                }
            } else {
                DoubleBuffer xb = src.data().asNioDouble(), rb = inverseRms.data().asNioDouble(), ob = out.data().asNioDouble();
                for (int i = from; i < to; i++) {
                    double r = rb.get(i);
                    for (int j = 0; j < d; j++) ob.put(i * d + j, xb.get(i * d + j) * r * wd[j]);
                }
            }
        });
        if (src != x) src.close();
        return out;
    }

    /**
     * With {@code xhat = x * r}: {@code dx = r * (g - xhat * mean(g * xhat))} where {@code g = dy * w};
     * {@code dw += sum_rows(dy * xhat)} when {@code dw} is given (summed in double, in row order).
     * Returns a pooled array.
     */
    static INDArray backward(INDArray dy, INDArray x, INDArray w, INDArray inverseRms, INDArray dw) {
        int n = (int) x.size(0), d = (int) x.size(1);
        INDArray dys = Arrays2.flatOrCopy(dy), xs = Arrays2.flatOrCopy(x), out = BufferPool.takeLike(dy);
        // dw's sum in double by groups of SUM_ROWS rows, the groups then added in order: the same
        // order on any number of cores
        int groups = (n + SUM_ROWS - 1) / SUM_ROWS;
        double[][] dwSums = dw == null ? null : new double[groups][d];
        boolean isFloat = isFloat(x);
        float[] wf = isFloat ? w.toFloatVector() : null;
        double[] wd = isFloat ? null : w.toDoubleVector();
        CoreRanges.run(groups, MIN_ROWS / SUM_ROWS, (fromGroup, toGroup) -> {
            int from = fromGroup * SUM_ROWS, to = Math.min(n, toGroup * SUM_ROWS);
            if (isFloat) {
                FloatBuffer gb = dys.data().asNioFloat(), xb = xs.data().asNioFloat(), rb = inverseRms.data().asNioFloat(),
                        ob = out.data().asNioFloat();
                float[] gr = new float[d], xr = new float[d], or = new float[d];
                for (int i = from; i < to; i++) {
                    int at = i * d;
                    float r = rb.get(i);
                    double[] dwSum = dwSums == null ? null : dwSums[i / SUM_ROWS];
                    gb.get(at, gr);
                    xb.get(at, xr);
                    double dot = 0;
                    for (int j = 0; j < d; j++) dot += (gr[j] * wf[j]) * (xr[j] * r);
                    float mean = (float) (dot / d);
                    for (int j = 0; j < d; j++) {
                        float xhat = xr[j] * r, dyj = gr[j];
                        or[j] = (dyj * wf[j] - xhat * mean) * r;
                        if (dwSum != null) dwSum[j] += dyj * xhat;
                    }
                    ob.put(at, or);
                }
            } else {
                DoubleBuffer gb = dys.data().asNioDouble(), xb = xs.data().asNioDouble(), rb = inverseRms.data().asNioDouble(),
                        ob = out.data().asNioDouble();
                for (int i = from; i < to; i++) {
                    int at = i * d;
                    double r = rb.get(i), dot = 0;
                    double[] dwSum = dwSums == null ? null : dwSums[i / SUM_ROWS];
                    for (int j = 0; j < d; j++) dot += (gb.get(at + j) * wd[j]) * (xb.get(at + j) * r);
                    double mean = dot / d;
                    for (int j = 0; j < d; j++) {
                        double xhat = xb.get(at + j) * r, dyj = gb.get(at + j);
                        ob.put(at + j, (dyj * wd[j] - xhat * mean) * r);
                        if (dwSum != null) dwSum[j] += dyj * xhat;
                    }
                }
            }
        });
        if (dys != dy) dys.close();
        if (xs != x) xs.close();
        if (dwSums != null) {
            double[] dwSum = groups == 0 ? new double[d] : dwSums[0];
            for (int group = 1; group < groups; group++) {
                for (int j = 0; j < d; j++) dwSum[j] += dwSums[group][j];
            }
            try (INDArray sum = Nd4j.createFromArray(dwSum); INDArray typed = sum.castTo(dw.dataType())) {
                dw.addi(typed.reshape(dw.shape()));
            }
        }
        return out;
    }

    private static boolean isFloat(INDArray x) {
        if (x.dataType() != DataType.FLOAT && x.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException("RMSNorm computes in float or double, not " + x.dataType());
        }
        return x.dataType() == DataType.FLOAT;
    }
}
