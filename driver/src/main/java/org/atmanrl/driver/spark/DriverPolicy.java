package org.atmanrl.driver.spark;

import java.util.Map;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.lora.LoraAdapters;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The policy the driver trains: the whole model, or with LoRA a frozen base and the adapters on it
 * (docs/design.md 3.4). What trains ({@link #trained}) is what AdamW updates, what each step
 * broadcasts and what the tasks' gradient sums are for; the base is never broadcast, and no
 * optimizer state the size of the base is kept.
 *
 * @param weights  the whole model, or the frozen base with LoRA
 * @param adapters the adapters that train, or null without LoRA
 */
record DriverPolicy(LlamaWeights weights, LoraAdapters adapters) implements AutoCloseable {
    /** The tensors that train, live, in checkpoint order. */
    Map<String, INDArray> trained() {
        return adapters != null ? adapters.named() : weights.named();
    }

    /** A model of these weights with the adapters applied (not thread-safe: one per thread). */
    LlamaModel model() {
        return new LlamaModel(weights, adapters);
    }

    @Override
    public void close() {
        weights.close();
        if (adapters != null) adapters.close();
    }
}
