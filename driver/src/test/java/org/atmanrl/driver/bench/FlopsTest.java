package org.atmanrl.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FlopsTest {
    @Test
    void tinyTrainingStepCountedByHand() {
        // Per layer: q, o 256 x 256, k, v 128 x 256, gate, up, down 256 x 768; plus a 512 x 256 head.
        long p = 4L * (2 * 256 * 256 + 2 * 128 * 256 + 3 * 256 * 768) + 512L * 256;
        assertEquals(p, BenchShape.TINY.config().matmulParameters());
        double tokens = 16.0 * 256;
        double attention = 12.0 * 4 * 16 * 256 * 256 * 8 * 32;
        assertEquals(6 * p * tokens + attention, Flops.trainingStep(BenchShape.TINY.config(), 16, 256), 1.0);
        assertEquals(93_415_538_688.0, Flops.trainingStep(BenchShape.TINY.config(), 16, 256), 1.0);
    }

    @Test
    void forwardIsAThirdOfTheStep() {
        var c = BenchShape.MID.config();
        assertEquals(Flops.trainingStep(c, 4, 512) / 3, Flops.forward(c, 4, 512), 1e-3);
    }

    @Test
    void gemmIsTwoNCubed() {
        assertEquals(2.0 * 2048 * 2048 * 2048, Flops.gemm(2048));
    }
}
