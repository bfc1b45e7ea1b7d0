package org.atmanrl.driver.config;

import java.io.Serializable;

/**
 * Greedy test-set evaluation during a run: the {@code eval} section. {@link TrainConfigSchema}
 * declares each key's range, default and meaning.
 *
 * @param every         steps between evaluations; 0 = only before the first and after the last step
 * @param size          test problems per evaluation, at most {@code data.test_size}
 * @param maxNewTokens  greedy completion budget in tokens
 * @param samples       test problems whose completions, fitted masks and AtMan reference the run
 *                      writes to saliency_samples.json after its final evaluation (0 = none)
 * @param faithfulness  run the faithfulness probes of Lanham et al. 2023 (early answering, added
 *                      mistakes, filler tokens) in every evaluation
 * @param policySamples completions per test problem sampled at {@code sampling.temperature} for the
 *                      CoT-use and biased-hint probes (with {@code faithfulness}; 0 = off)
 */
public record EvalConfig(int every, int size, int maxNewTokens, int samples, boolean faithfulness, int policySamples)
        implements Serializable {
}
