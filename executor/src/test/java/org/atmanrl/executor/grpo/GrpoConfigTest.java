package org.atmanrl.executor.grpo;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GrpoConfigTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        GrpoConfig c = GrpoConfig.defaults();
        assertEquals(8, c.groupSize());
        assertEquals(GrpoConfig.AdvantageScale.GROUP, c.scale());
        assertEquals(GrpoConfig.StdEstimator.SAMPLE, c.std());
        assertEquals(1e-4, c.advantageEpsilon());
        assertEquals(0.2, c.epsilonLow());
        assertEquals(0.2, c.epsilonHigh());
        assertEquals(0.0, c.beta());
        assertFalse(c.needsReference());
        assertEquals(GrpoConfig.Aggregation.TOKEN, c.aggregation());
        assertEquals(256, c.maxCompletionLength());
        assertFalse(c.dropZeroVarianceGroups());
        assertEquals(1, c.mu());
        assertTrue(with(c, "beta", 0.04).needsReference());
        assertEquals(0, c.microBatchRows());
    }

    @Test
    void microBatchRowsSplitOnlyATaskWithMoreRows() {
        GrpoConfig whole = GrpoConfig.defaults(), three = with(whole, "microBatchRows", 3);
        assertEquals(64, whole.rowsPerPass(64));
        assertFalse(whole.splits(64));
        assertEquals(3, three.rowsPerPass(64));
        assertTrue(three.splits(4));
        assertEquals(3, three.rowsPerPass(3));
        assertFalse(three.splits(3));
    }

    @Test
    void invalidValuesAreRefusedWithOneLineMessages() {
        GrpoConfig c = GrpoConfig.defaults();
        expect("groupSize must be in [1, 4096], got 0", () -> with(c, "groupSize", 0));
        expect("epsilonLow must be in [0, 1), got 1.0", () -> with(c, "epsilonLow", 1.0));
        expect("epsilonHigh must be >= 0, got -0.1", () -> with(c, "epsilonHigh", -0.1));
        expect("beta must be finite and >= 0, got NaN", () -> with(c, "beta", Double.NaN));
        expect("maxCompletionLength must be in [1, 131072], got 0", () -> with(c, "maxCompletionLength", 0));
        expect("mu must be in [1, 1024], got 0", () -> with(c, "mu", 0));
        expect("microBatchRows must be in [0, 1048576], got -1", () -> with(c, "microBatchRows", -1));
        expect("microBatchRows must be in [0, 1048576], got 1048577", () -> with(c, "microBatchRows", 1 << 20 | 1));
        expect("advantageEpsilon must be > 0, got 0.0", () -> with(c, "advantageEpsilon", 0.0));
    }

    private static void expect(String message, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
