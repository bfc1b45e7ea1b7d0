package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** {@code y = x / sqrt(mean(x^2) + eps) * w} over the last dimension of {@code [N, D]} rows. */
final class RmsNorm {
    private RmsNorm() {}

    /** The per-row factor {@code 1 / sqrt(mean(x^2) + eps)}, shaped {@code [N, 1]}. */
    static INDArray inverseRms(INDArray x, double eps) {
        long d = x.size(1);
        INDArray n2 = x.norm2(true, 1); // one pass and no [N, D] temporary
        return Transforms.pow(n2.muli(n2).divi(d).addi(eps), -0.5, false);
    }

    /** Into a pooled array ({@link BufferPool}). */
    static INDArray forward(INDArray x, INDArray w, INDArray inverseRms) {
        return BufferPool.takeLike(x).assign(x).muliColumnVector(inverseRms).muliRowVector(w);
    }

    /**
     * With {@code xhat = x * r}: {@code dx = r * (g - xhat * mean(g * xhat))} where {@code g = dy * w};
     * {@code dw += sum_rows(dy * xhat)} when {@code dw} is given. Returns a pooled array.
     */
    static INDArray backward(INDArray dy, INDArray x, INDArray w, INDArray inverseRms, INDArray dw) {
        INDArray xhat = BufferPool.takeLike(x).assign(x).muliColumnVector(inverseRms);
        if (dw != null) {
            // Column sums as a GEMV with a ones row: 10x faster than sum(0) in ND4J M2.1.
            INDArray t = dy.mul(xhat, BufferPool.takeLike(dy));
            INDArray ones = Nd4j.ones(t.dataType(), 1, t.size(0));
            Nd4j.gemm(ones, t, dw.reshape(1, dw.length()), false, false, 1.0, 1.0);
            Arrays2.release(t, ones);
        }
        INDArray g = BufferPool.takeLike(dy).assign(dy).muliRowVector(w);
        INDArray t = g.mul(xhat, BufferPool.takeLike(g));
        INDArray dot = t.mean(true, 1);
        Arrays2.release(t);
        g.subi(xhat.muliColumnVector(dot)).muliColumnVector(inverseRms);
        Arrays2.release(xhat, dot);
        return g;
    }
}
