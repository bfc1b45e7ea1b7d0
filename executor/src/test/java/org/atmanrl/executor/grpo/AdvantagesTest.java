package org.atmanrl.executor.grpo;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atmanrl.executor.grpo.GrpoConfig.AdvantageScale;
import org.atmanrl.executor.grpo.GrpoConfig.StdEstimator;
import org.junit.jupiter.api.Test;

/** Advantages against values worked out by hand for each scale and std. */
class AdvantagesTest {
    static final double TOL = 1e-12;

    @Test
    void groupScaleWithSampleStdMatchesTorchStd() {
        // Group 0: {1, 0, 0, 0}: mean 0.25, squared deviations 0.5625 + 3 * 0.0625 = 0.75,
        // sample variance 0.75 / 3 = 0.25, std 0.5. Group 1: {2, 4}: mean 3, sample std sqrt(2).
        GrpoConfig c = with(GrpoConfig.defaults(), "groupSize", 2);
        Advantages a = Advantages.compute(new double[] {2, 4, 5, 5}, c);
        double s = Math.sqrt(2) + 1e-4;
        assertArrayEquals(new double[] {-1 / s, 1 / s, 0, 0}, a.values(), TOL);

        Advantages b = Advantages.compute(new double[] {1, 0, 0, 0}, with(GrpoConfig.defaults(), "groupSize", 4));
        assertArrayEquals(new double[] {0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001},
                b.values(), TOL);
        assertEquals(0, b.zeroVarianceGroups());
    }

    @Test
    void groupScaleWithPopulationStd() {
        // {1, 0, 0, 0}: population variance 0.75 / 4 = 0.1875.
        GrpoConfig c = with(GrpoConfig.defaults(), "groupSize", 4, "std", StdEstimator.POPULATION);
        Advantages a = Advantages.compute(new double[] {1, 0, 0, 0}, c);
        double s = Math.sqrt(0.1875) + 1e-4;
        assertArrayEquals(new double[] {0.75 / s, -0.25 / s, -0.25 / s, -0.25 / s}, a.values(), TOL);
        // {2, 4}: population std 1.
        Advantages b = Advantages.compute(new double[] {2, 4}, with(c, "groupSize", 2));
        assertArrayEquals(new double[] {-1 / 1.0001, 1 / 1.0001}, b.values(), TOL);
    }

    @Test
    void noneScaleIsRewardMinusGroupMean() {
        GrpoConfig c = with(GrpoConfig.defaults(), "groupSize", 3, "scale", AdvantageScale.NONE);
        Advantages a = Advantages.compute(new double[] {1, 0, 0, 0.5, 2, 0.5}, c);
        assertArrayEquals(new double[] {2.0 / 3, -1.0 / 3, -1.0 / 3, -0.5, 1, -0.5}, a.values(), TOL);
    }

    @Test
    void zeroVarianceGroupGetsExactlyZeroAndIsCounted() {
        // 0.1 * 3 sums to 0.30000000000000004: r - mean would be -2.8e-17, / 1e-4 = -2.8e-13, not 0.
        GrpoConfig c = with(GrpoConfig.defaults(), "groupSize", 3);
        Advantages a = Advantages.compute(new double[] {0.1, 0.1, 0.1, 1, 0, 1}, c);
        assertEquals(0.0, a.value(0));
        assertEquals(0.0, a.value(1));
        assertEquals(0.0, a.value(2));
        assertTrue(a.value(3) > 0 && a.value(4) < 0);
        assertEquals(1, a.zeroVarianceGroups());
        assertArrayEquals(new boolean[] {true, false}, a.zeroVariance());
        assertArrayEquals(new boolean[] {true, true, true, true, true, true}, a.included(), "kept by default");
        assertEquals(0, a.droppedGroups());

        Advantages d = Advantages.compute(new double[] {0.1, 0.1, 0.1, 1, 0, 1},
                with(c, "dropZeroVarianceGroups", true));
        assertArrayEquals(new boolean[] {false, false, false, true, true, true}, d.included());
        assertEquals(1, d.zeroVarianceGroups());
        assertEquals(1, d.droppedGroups());
        assertArrayEquals(a.values(), d.values(), 0.0);
    }

    @Test
    void groupSizeOneHasZeroAdvantagesWithEitherStdAndScale() {
        for (StdEstimator std : StdEstimator.values()) {
            for (AdvantageScale scale : AdvantageScale.values()) {
                GrpoConfig c = with(GrpoConfig.defaults(), "groupSize", 1, "std", std, "scale", scale);
                Advantages a = Advantages.compute(new double[] {1, 0, 0.7}, c);
                assertArrayEquals(new double[] {0, 0, 0}, a.values(), 0.0, std + " " + scale);
                assertEquals(3, a.groups());
                assertEquals(3, a.zeroVarianceGroups());
            }
        }
    }

    @Test
    void stdOfOneRewardIsZeroNotNaN() {
        assertEquals(0.0, Advantages.std(new double[] {3}, 0, 1, 3, StdEstimator.SAMPLE));
        assertEquals(0.0, Advantages.std(new double[] {3}, 0, 1, 3, StdEstimator.POPULATION));
    }

    @Test
    void rejectsRaggedGroupsAndNonFiniteRewards() {
        GrpoConfig c = with(GrpoConfig.defaults(), "groupSize", 2);
        assertThrows(IllegalArgumentException.class, () -> Advantages.compute(new double[] {1, 0, 1}, c));
        assertThrows(IllegalArgumentException.class, () -> Advantages.compute(new double[] {1, Double.NaN}, c));
    }
}
