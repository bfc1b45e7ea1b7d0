package org.atmanrl.driver.config;

import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.check.Conflict;
import org.atmanrl.reward.saliency.SaliencyConfig;

/**
 * What barrier mode does not do yet (docs/design.md 3.5, "Not built yet"), refused when the config
 * is read, in one line naming the key and what barrier mode allows: a run that would half work
 * should not start. Each rule names the key and {@code mode}, so the one set last is blamed.
 */
final class BarrierModeLimits {
    private BarrierModeLimits() {
    }

    /** The record's fields are not assigned yet in its compact constructor: they come as arguments. */
    static void require(GrpoConfig grpo, SaliencyConfig saliency, boolean saliencyMetrics,
                        LoraTrainingConfig lora, WeightStorage weightStorage) {
        refuse(lora.rank() > 0, "lora.rank", lora.rank(), "0 (a full fine-tune)");
        refuse(grpo.mu() > 1, "grpo.mu", grpo.mu(), "1");
        refuse(grpo.needsReference(), "grpo.beta", grpo.beta(), "0 (no reference model)");
        refuse(weightStorage != WeightStorage.F32, "weight_storage", "bf16", "f32");
        boolean saliencyOn = saliency.alpha() > 0 || saliencyMetrics;
        refuse(saliencyOn && saliency.network(), "saliency.mask", "network", "fitted");
    }

    private static void refuse(boolean unsupported, String key, Object value, String allowed) {
        if (unsupported) {
            throw new Conflict(key + " " + value + " is not supported in mode barrier yet; it allows " + key + " "
                    + allowed + ", or use mode sync", key, "mode");
        }
    }
}
