package org.atmanrl.driver.config;

import java.util.List;
import org.atmanrl.model.lora.LoraConfig;

/**
 * The {@code lora} section: LoRA adapters on a frozen base (docs/design.md 3.4). Rank 0, the
 * default, trains the whole model as before; the other keys are then kept but unused.
 * {@link TrainConfigSchema} declares each key's range, default and meaning.
 *
 * @param rank          r; 0 = no adapters
 * @param alpha         lora_alpha (the branch is scaled by alpha / r)
 * @param dropout       lora_dropout on the branch's input, in training passes only
 * @param targetModules the targeted projections by PEFT name, in the layer's order
 */
public record LoraTrainingConfig(int rank, double alpha, double dropout, List<String> targetModules) {
    public LoraTrainingConfig {
        targetModules = List.copyOf(targetModules);
    }

    /** Whether the run trains adapters rather than the whole model. */
    public boolean on() {
        return rank > 0;
    }

    /** The model's adapter settings; null when {@link #on()} is false. */
    public LoraConfig adapters() {
        return on() ? new LoraConfig(rank, alpha, dropout, targetModules) : null;
    }
}
