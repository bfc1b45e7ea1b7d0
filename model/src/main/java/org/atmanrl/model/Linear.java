package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A bias-free projection with an HF-layout weight {@code W [out, in]}: {@code y = x W^T}. A weight
 * stored in bf16 is widened to fp32 for the product ({@link StoredWeights#fp32}). Outputs come
 * from the {@link BufferPool} (release them with {@link Arrays2#release}), except
 * {@link #output}'s, which leave the model.
 */
final class Linear {
    private Linear() {}

    /** {@code x W^T} into a pooled array. */
    static INDArray forward(INDArray x, INDArray w) {
        INDArray y = BufferPool.take(x.dataType(), x.size(0), w.size(0));
        Nd4j.gemm(x, StoredWeights.fp32(w), y, false, true, 1.0, 0.0);
        return y;
    }

    /** {@code x W^T} as a new array the caller owns (logits returned to callers). */
    static INDArray output(INDArray x, INDArray w) {
        return Nd4j.gemm(x, StoredWeights.fp32(w), false, true);
    }

    /** {@code dW += dy^T x}. */
    static void accumulateWeightGradient(INDArray dy, INDArray x, INDArray dw) {
        Nd4j.gemm(dy, x, dw, true, false, 1.0, 1.0);
    }

    /** {@code dx = dy W} into a pooled array, or {@code dx += dy W} into {@code into} when given. */
    static INDArray inputGradient(INDArray dy, INDArray w, INDArray into) {
        INDArray wide = StoredWeights.fp32(w);
        if (into == null) {
            INDArray dx = BufferPool.take(dy.dataType(), dy.size(0), w.size(1));
            Nd4j.gemm(dy, wide, dx, false, false, 1.0, 0.0);
            return dx;
        }
        Nd4j.gemm(dy, wide, into, false, false, 1.0, 1.0);
        return into;
    }
}
