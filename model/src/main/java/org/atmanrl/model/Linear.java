package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A bias-free projection with an HF-layout weight {@code W [out, in]}: {@code y = x W^T}. A weight
 * stored in bf16 is widened to fp32 for the product ({@link StoredWeights#fp32}).
 */
final class Linear {
    private Linear() {}

    static INDArray forward(INDArray x, INDArray w) {
        return Nd4j.gemm(x, StoredWeights.fp32(w), false, true);
    }

    /** {@code dW += dy^T x}. */
    static void accumulateWeightGradient(INDArray dy, INDArray x, INDArray dw) {
        Nd4j.gemm(dy, x, dw, true, false, 1.0, 1.0);
    }

    /** {@code dx = dy W}, or {@code dx += dy W} into {@code into} when given. */
    static INDArray inputGradient(INDArray dy, INDArray w, INDArray into) {
        INDArray wide = StoredWeights.fp32(w);
        if (into == null) {
            return Nd4j.gemm(dy, wide, false, false);
        }
        Nd4j.gemm(dy, wide, into, false, false, 1.0, 1.0);
        return into;
    }
}
