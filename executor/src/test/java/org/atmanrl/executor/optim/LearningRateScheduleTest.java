package org.atmanrl.executor.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The SFT schedule of docs/design.md 2.4 (lr 3e-3, 100 warm-up steps, cosine to 10% at step 700)
 * and its variants.
 */
class LearningRateScheduleTest {
    static final double TOL = 1e-18;

    @Test
    void cosineWithWarmupAndFloor() {
        LearningRateSchedule s = LearningRateSchedule.cosine(3e-3, 100, 700, 0.1);
        assertEquals(0.0, s.at(0), 0.0, "HF's warm-up starts at 0");
        assertEquals(3e-5, s.at(1), TOL);
        assertEquals(1.5e-3, s.at(50), TOL);
        assertEquals(3e-3, s.at(100), TOL, "end of warm-up: the peak");
        // progress 1/4: 0.1 + 0.9 · (1 + cos(π/4)) / 2
        assertEquals(3e-3 * (0.1 + 0.9 * (1 + Math.sqrt(0.5)) / 2), s.at(250), 1e-15);
        assertEquals(3e-3 * 0.55, s.at(400), 1e-15, "middle: halfway between peak and floor");
        assertEquals(3e-4, s.at(700), 1e-15, "end: the floor");
        assertEquals(3e-4, s.at(10_000), 1e-15, "and it stays there");
    }

    @Test
    void constantAfterWarmup() {
        LearningRateSchedule s = LearningRateSchedule.constant(1e-6, 10);
        assertEquals(0.0, s.at(0), 0.0);
        assertEquals(5e-7, s.at(5), TOL);
        assertEquals(1e-6, s.at(10), 0.0);
        assertEquals(1e-6, s.at(1_000_000), 0.0);
        assertEquals(2e-3, LearningRateSchedule.constant(2e-3, 0).at(0), 0.0, "no warm-up: the peak at once");
    }

    @Test
    void linearDecay() {
        LearningRateSchedule s = LearningRateSchedule.linear(3e-3, 100, 700, 0.1);
        assertEquals(3e-3, s.at(100), TOL);
        assertEquals(3e-3 * (0.1 + 0.9 * 0.75), s.at(250), 1e-15);
        assertEquals(3e-4, s.at(700), 1e-15);
        assertEquals(0.0, LearningRateSchedule.linear(1.0, 0, 10, 0).at(10), 0.0);
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(1e-3, 100, 100, 0.1));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(1e-3, 0, 100, 1.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(1, 0).at(-1));
    }
}
