package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link ForwardPass#backward} returns: gradients of every weight (same shapes and tying as
 * the model's weights) and of the attention bias {@code [B, T]}; either is null when not asked for.
 */
public record Gradients(LlamaWeights weights, INDArray bias) implements AutoCloseable {
    /** Frees the gradient buffers now rather than when the garbage collector gets to them. */
    @Override
    public void close() {
        if (weights != null) weights.close();
        Arrays2.release(bias);
    }
}
