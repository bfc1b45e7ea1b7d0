package org.atmanrl.driver.bench;

import org.atmanrl.model.LlamaConfig;

/**
 * Floating-point operations per run, counting a multiply-add as two. The attention term counts the
 * full T x T score matrices because the model computes them in full (the causal mask is added, not
 * skipped).
 */
final class Flops {
    static final String FORMULA = "training step FLOPs = 6*P*B*T + 12*L*B*T^2*H*hd"
            + " (P = matmul parameters incl. LM head, excl. embedding; L layers, H query heads, hd head dim;"
            + " full T x T attention scores); forward = 1/3 of that";

    private Flops() {}

    /** Forward and backward of every weight over a {@code batch x seq} grid. */
    static double trainingStep(LlamaConfig c, int batch, int seq) {
        double tokens = (double) batch * seq;
        double attention = 12.0 * c.numHiddenLayers() * batch * (double) seq * seq
                * c.numAttentionHeads() * c.headDim();
        return 6.0 * c.matmulParameters() * tokens + attention;
    }

    static double forward(LlamaConfig c, int batch, int seq) {
        return trainingStep(c, batch, seq) / 3.0;
    }

    /** {@code C = A B} for square {@code n x n} matrices. */
    static double gemm(int n) {
        return 2.0 * n * (double) n * n;
    }
}
