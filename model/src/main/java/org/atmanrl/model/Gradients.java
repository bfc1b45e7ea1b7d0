package org.atmanrl.model;

import org.atmanrl.model.lora.LoraAdapters;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link ForwardPass#backward} returns: gradients of every weight (same shapes and tying as
 * the model's weights), of the attention bias {@code [B, T]} and, for a model with LoRA adapters, of
 * the adapters only (docs/design.md 3.4); each is null when not asked for or not applicable.
 */
public record Gradients(LlamaWeights weights, INDArray bias, LoraAdapters adapters) implements AutoCloseable {
    /** Weight and bias gradients of a model without adapters. */
    public Gradients(LlamaWeights weights, INDArray bias) {
        this(weights, bias, null);
    }

    /** Frees the gradient buffers now rather than when the garbage collector gets to them. */
    @Override
    public void close() {
        if (weights != null) weights.close();
        if (adapters != null) adapters.close();
        Arrays2.release(bias);
    }
}
