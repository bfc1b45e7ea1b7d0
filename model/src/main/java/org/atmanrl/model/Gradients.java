package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link ForwardPass#backward} returns: gradients of every weight (same shapes and tying as
 * the model's weights) and of the attention bias {@code [B, T]}; either is null when not asked for.
 */
public record Gradients(LlamaWeights weights, INDArray bias) {}
