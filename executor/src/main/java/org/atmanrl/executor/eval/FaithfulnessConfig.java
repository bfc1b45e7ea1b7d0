package org.atmanrl.executor.eval;

import java.util.Arrays;
import org.atmanrl.model.check.Range;

/**
 * The knobs of the chain-of-thought faithfulness probes of Lanham et al. 2023 ("Measuring
 * Faithfulness in Chain-of-Thought Reasoning"), run by {@link Faithfulness} on an evaluation's
 * greedy completions.
 *
 * @param fractions          early answering's CoT fractions: strictly increasing, in [0, 1], from 0
 *                           to 1 inclusive so that the area over the curve spans [0, 1]
 * @param answerTokens       budget of a forced answer (early answering, filler tokens), stop token
 *                           included
 * @param continuationTokens budget of the CoT regenerated after an added mistake ({@link
 *                           Evaluation} sets it to its own completion budget)
 * @param seed               seed of the mistakes' draws (each draw also keyed by the problem id)
 * @param maxRowsPerPass     rows per generation pass ({@link Evaluation} sets its own)
 * @param earlyAnswering     run {@link EarlyAnswering}
 * @param addedMistakes      run {@link AddedMistakes}
 * @param fillerTokens       run {@link FillerTokens}
 * @param policySamples      completions sampled per problem for the CoT-use and biased-hint probes
 *                           ({@link CotUseProbe}); 0 turns them off
 * @param temperature        their sampling temperature: the policy's own (training's
 *                           {@code sampling.temperature}), since greedy decoding hides a mixture
 */
public record FaithfulnessConfig(double[] fractions, int answerTokens, int continuationTokens, long seed,
                                 int maxRowsPerPass, boolean earlyAnswering, boolean addedMistakes,
                                 boolean fillerTokens, int policySamples, double temperature)
        implements java.io.Serializable {
    /** Lanham et al.'s grid, in fifths of the CoT. */
    public static final double[] DEFAULT_FRACTIONS = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
    /** Enough for "#### 1,234,567" and the stop token under any tokenizer this project reads. */
    public static final int DEFAULT_ANSWER_TOKENS = 16;
    /** Samples per problem of the CoT-use probes unless set: one, so 500 test prompts cost one more generation pass. */
    public static final int DEFAULT_POLICY_SAMPLES = 1;
    /** The largest number of samples per problem the CoT-use probes take. */
    public static final int MAX_POLICY_SAMPLES = 64;
    public static final Range POLICY_SAMPLES = Range.closed(0, MAX_POLICY_SAMPLES);

    public FaithfulnessConfig {
        fractions = requireFractions(fractions);
        POLICY_SAMPLES.check("policySamples", policySamples);
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("the CoT-use probes' temperature must be > 0 (they measure the sampled"
                    + " policy), got " + temperature);
        }
        if (answerTokens < 1 || continuationTokens < 1 || maxRowsPerPass < 1) {
            throw new IllegalArgumentException("answerTokens, continuationTokens and maxRowsPerPass must be >= 1, got "
                    + answerTokens + ", " + continuationTokens + " and " + maxRowsPerPass);
        }
    }

    /** All three probes, the default grid, seed 0. */
    public static FaithfulnessConfig defaults(int continuationTokens, int maxRowsPerPass) {
        return new FaithfulnessConfig(DEFAULT_FRACTIONS, DEFAULT_ANSWER_TOKENS, continuationTokens, 0L,
                maxRowsPerPass, true, true, true, DEFAULT_POLICY_SAMPLES, 1.0);
    }

    /**
     * Checks a fraction grid: at least two values, strictly increasing, first 0 and last 1.
     *
     * @return a copy
     */
    public static double[] requireFractions(double[] fractions) {
        if (fractions == null || fractions.length < 2) {
            throw new IllegalArgumentException("fractions need at least two values, 0 and 1, got "
                    + (fractions == null ? "none" : Arrays.toString(fractions)));
        }
        for (int i = 0; i < fractions.length; i++) {
            double f = fractions[i];
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("fractions must lie in [0, 1], got " + f);
            }
            if (i > 0 && !(f > fractions[i - 1])) {
                throw new IllegalArgumentException("fractions must be strictly increasing, got "
                        + Arrays.toString(fractions));
            }
        }
        if (fractions[0] != 0 || fractions[fractions.length - 1] != 1) {
            throw new IllegalArgumentException("fractions must start at 0 and end at 1 (the area over the curve"
                    + " spans [0, 1]), got " + Arrays.toString(fractions));
        }
        return fractions.clone();
    }

    @Override
    public double[] fractions() {
        return fractions.clone();
    }

    public FaithfulnessConfig withBudgets(int continuationTokens, int maxRowsPerPass) {
        return new FaithfulnessConfig(fractions, answerTokens, continuationTokens, seed, maxRowsPerPass,
                earlyAnswering, addedMistakes, fillerTokens, policySamples, temperature);
    }

    public FaithfulnessConfig withFractions(double[] fractions) {
        return new FaithfulnessConfig(fractions, answerTokens, continuationTokens, seed, maxRowsPerPass,
                earlyAnswering, addedMistakes, fillerTokens, policySamples, temperature);
    }

    public FaithfulnessConfig withSeed(long seed) {
        return new FaithfulnessConfig(fractions, answerTokens, continuationTokens, seed, maxRowsPerPass,
                earlyAnswering, addedMistakes, fillerTokens, policySamples, temperature);
    }

    /** The CoT-use probes on {@code samples} completions per problem at {@code temperature} (0 samples: off). */
    public FaithfulnessConfig withPolicySamples(int samples, double temperature) {
        return new FaithfulnessConfig(fractions, answerTokens, continuationTokens, seed, maxRowsPerPass,
                earlyAnswering, addedMistakes, fillerTokens, samples, temperature);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FaithfulnessConfig c && Arrays.equals(fractions, c.fractions)
                && answerTokens == c.answerTokens && continuationTokens == c.continuationTokens && seed == c.seed
                && maxRowsPerPass == c.maxRowsPerPass && earlyAnswering == c.earlyAnswering
                && addedMistakes == c.addedMistakes && fillerTokens == c.fillerTokens
                && policySamples == c.policySamples && temperature == c.temperature;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(Arrays.hashCode(fractions), answerTokens, continuationTokens, seed,
                maxRowsPerPass, earlyAnswering, addedMistakes, fillerTokens, policySamples, temperature);
    }

    @Override
    public String toString() {
        return "FaithfulnessConfig[fractions=" + Arrays.toString(fractions) + ", answerTokens=" + answerTokens
                + ", continuationTokens=" + continuationTokens + ", seed=" + seed + ", maxRowsPerPass="
                + maxRowsPerPass + ", earlyAnswering=" + earlyAnswering + ", addedMistakes=" + addedMistakes
                + ", fillerTokens=" + fillerTokens + ", policySamples=" + policySamples + ", temperature=" + temperature
                + "]";
    }
}
