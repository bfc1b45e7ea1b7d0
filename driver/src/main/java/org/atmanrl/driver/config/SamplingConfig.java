package org.atmanrl.driver.config;

import java.io.Serializable;
import org.atmanrl.model.SamplingParams;

/**
 * How rollouts are sampled: the {@code sampling} section. {@code maxNewTokens} is also GRPO's
 * {@code max_completion_length}, the {@code dr_grpo} normaliser's budget. {@link TrainConfigSchema}
 * declares each key's range (SamplingParams's), default and meaning.
 *
 * @param temperature  softmax temperature, 0 for greedy
 * @param topP         nucleus mass, 1 = off
 * @param topK         keep the k most likely tokens, 0 = off
 * @param maxNewTokens completion budget in tokens
 */
public record SamplingConfig(double temperature, double topP, int topK, int maxNewTokens) implements Serializable {
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
