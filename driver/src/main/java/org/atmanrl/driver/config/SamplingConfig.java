package org.atmanrl.driver.config;

import java.io.Serializable;
import org.atmanrl.model.SamplingParams;

/**
 * How rollouts are sampled: the {@code sampling} section. {@code maxNewTokens} is also GRPO's
 * {@code max_completion_length}, the {@code dr_grpo} normaliser's budget.
 *
 * @param temperature  softmax temperature, 0 for greedy; default 1.0 (TRL)
 * @param topP         nucleus mass in (0, 1], 1 = off; default 1.0 (TRL)
 * @param topK         keep the k most likely tokens, 0 = off; default 0 (TRL)
 * @param maxNewTokens completion budget in tokens; default 48 (the embedded task's completions are ~25)
 */
public record SamplingConfig(double temperature, double topP, int topK, int maxNewTokens) implements Serializable {
    public SamplingConfig {
        // SamplingParams owns these rules; building one checks them where a config is made, not at the first rollout.
        new SamplingParams(temperature, topP, topK, maxNewTokens, null);
    }

    public static SamplingConfig defaults() {
        return new SamplingConfig(1.0, 1.0, 0, 48);
    }

    /**
     * The temperature the CoT-use probes sample the policy at: the rollouts' own, or 1 when rollouts
     * are greedy (a greedy policy has no mixture to measure; 1 shows what it would sample).
     */
    public double probeTemperature() {
        return temperature > 0 ? temperature : 1.0;
    }

    /** The sampler's parameters, stopping at {@code stopToken} (the tokenizer's end of sequence). */
    public SamplingParams params(int stopToken) {
        return new SamplingParams(temperature, topP, topK, maxNewTokens, new int[] {stopToken});
    }
}
