package org.atmanrl.driver.config;

import org.atmanrl.executor.eval.FaithfulnessConfig;

import java.io.Serializable;
import org.atmanrl.executor.eval.SaliencySamples;

/**
 * Greedy test-set evaluation during a run: the {@code eval} section.
 *
 * @param every        steps between evaluations; 0 = only before the first and after the last step;
 *                     default 0
 * @param size         test problems per evaluation, at most {@code data.test_size}; default 200
 * @param maxNewTokens greedy completion budget in tokens; default 48, as sampling's
 * @param samples      test problems whose completions, fitted masks and AtMan reference the run
 *                     writes to saliency_samples.json after its final evaluation (0 = none); default 4
 * @param faithfulness run the faithfulness probes of Lanham et al. 2023 (early answering, added
 *                     mistakes, filler tokens) in every evaluation; default true
 * @param policySamples completions per test problem sampled at {@code sampling.temperature} for the
 *                     CoT-use and biased-hint probes (with {@code faithfulness}; 0 = off); default 1
 */
public record EvalConfig(int every, int size, int maxNewTokens, int samples, boolean faithfulness,
                           int policySamples)
        implements Serializable {
    public EvalConfig {
        if (every < 0) throw new IllegalArgumentException("every must be >= 0 (0 = before and after only), got " + every);
        if (size < 1) throw new IllegalArgumentException("size must be >= 1, got " + size);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        if (samples < 0 || samples > SaliencySamples.MAX_SAMPLES) {
            throw new IllegalArgumentException("samples must be in [0, " + SaliencySamples.MAX_SAMPLES + "], got " + samples);
        }
        if (policySamples < 0 || policySamples > FaithfulnessConfig.MAX_POLICY_SAMPLES) {
            throw new IllegalArgumentException("policy_samples must be in [0, " + FaithfulnessConfig.MAX_POLICY_SAMPLES
                    + "], got " + policySamples);
        }
    }

    public static EvalConfig defaults() {
        return new EvalConfig(0, 200, 48, 4, true, FaithfulnessConfig.DEFAULT_POLICY_SAMPLES);
    }
}
