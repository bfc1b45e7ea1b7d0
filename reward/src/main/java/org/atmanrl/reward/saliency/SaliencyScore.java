package org.atmanrl.reward.saliency;

/**
 * One completion's saliency (docs/design.md 2.2): the fitted mask m* over its CoT tokens, the three
 * answer log-likelihoods, and N, C, S and r_sal derived from them.
 */
public record SaliencyScore(double[] mask, double lFull, double lNone, double lMask,
                            double necessity, double coverage, double sufficiency, double reward) {
}
