package org.atmanrl.reward.saliency;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The saliency terms of docs/design.md 2.2 against hand-computed values. */
class SaliencyTermsTest {
    @Test
    void necessityIsTheShareOfProbabilityLost() {
        assertEquals(1 - Math.exp(-2), SaliencyTerms.necessity(-5, -3), 1e-15);
        assertEquals(0, SaliencyTerms.necessity(-1, -3), 0, "suppressing the CoT helping the answer counts as 0");
        assertEquals(0.75, SaliencyTerms.necessity(Math.log(0.25), 0), 1e-15);
    }

    @Test
    void coverageIsTheMeanMask() {
        assertEquals(0.4, SaliencyTerms.coverage(new double[] {0.1, 0.7, 0.4}), 1e-15);
        assertEquals(0, SaliencyTerms.coverage(new double[0]), 0);
    }

    @Test
    void sufficiencyIsCappedAtOne() {
        assertEquals(Math.exp(-0.5), SaliencyTerms.sufficiency(-3.5, -3), 1e-15);
        assertEquals(1, SaliencyTerms.sufficiency(-2, -3), 0);
    }

    @Test
    void rewardFormsAndTotal() {
        assertEquals(0.06, SaliencyTerms.reward(SaliencyConfig.RewardForm.N_TIMES_C, 0.3, 0.2, 0.9), 1e-15);
        assertEquals(0.3, SaliencyTerms.reward(SaliencyConfig.RewardForm.N, 0.3, 0.2, 0.9), 0);
        assertEquals(0.2, SaliencyTerms.reward(SaliencyConfig.RewardForm.C, 0.3, 0.2, 0.9), 0);
        assertEquals(0.18, SaliencyTerms.reward(SaliencyConfig.RewardForm.S_TIMES_C, 0.3, 0.2, 0.9), 1e-15);
        assertEquals(1.03, SaliencyTerms.total(1, 0.06, 0.5), 1e-15);
    }

    @Test
    void floorIsSigmoidOfTheta0MinusKLr() {
        assertEquals(1 / (1 + Math.exp(4)), SaliencyConfig.defaults().floor(), 1e-15);
    }
}
