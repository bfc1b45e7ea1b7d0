package org.atmanrl.driver.spark;

import java.util.Map;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.lora.LoraAdapters;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The policy the driver trains: the whole model, or with LoRA a frozen base and the adapters on it
 * (docs/design.md 3.4). What trains ({@link #trained}) is what AdamW updates, what each step
 * broadcasts and what the tasks' gradient sums are for. With LoRA the driver keeps no base at all
 * (the executors read it from the model path), so no array or optimizer state the size of the
 * base is kept while it trains.
 *
 * @param weights  the whole model, or null with LoRA
 * @param adapters the adapters that train, or null without LoRA
 */
record DriverPolicy(LlamaWeights weights, LoraAdapters adapters) implements AutoCloseable {
    /** The tensors that train, live, in checkpoint order. */
    Map<String, INDArray> trained() {
        return adapters != null ? adapters.named() : weights.named();
    }

    /**
     * The policy as a model (not thread-safe: one per thread): the whole model, or {@code base}
     * (read by the caller; ignored without LoRA) with the adapters applied.
     */
    LlamaModel model(LlamaWeights base) {
        return adapters == null ? new LlamaModel(weights) : new LlamaModel(base, adapters);
    }

    @Override
    public void close() {
        if (weights != null) weights.close();
        if (adapters != null) adapters.close();
    }
}
