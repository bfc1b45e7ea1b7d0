package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.atmanrl.driver.config.TrainConfig;
import org.junit.jupiter.api.Test;

/** What a resume may change: the schedules and switches, and the skip limit, but not what a step computes. */
class TrainConfigDiffTest {
    private static final TrainConfig BASE = TrainConfig.defaults().with("model", "m").with("output", "o");

    @Test
    void theSkipLimitMayChangeButTheOptimizerMayNot() {
        String saved = BASE.toYaml();
        assertEquals(List.of(), TrainConfigDiff.trainingKeys(saved,
                BASE.with("optimizer.max_skipped_steps", "10").with("steps", "80").with("faults.nan_gradient_step", "3")
                        .toYaml()));
        assertEquals(List.of("optimizer.lr (3.0E-5 then, 1.0E-5 now)"),
                TrainConfigDiff.trainingKeys(saved, BASE.with("optimizer.lr", "1.0e-5").toYaml()));
    }

    @Test
    void theMicroBatchMayChangeButTheGroupMayNot() {
        String saved = BASE.toYaml();
        assertEquals(List.of(), TrainConfigDiff.trainingKeys(saved, BASE.with("grpo.micro_batch_rows", "4").toYaml()));
        assertEquals(List.of("grpo.group_size (8 then, 4 now)"),
                TrainConfigDiff.trainingKeys(saved, BASE.with("grpo.group_size", "4").toYaml()));
    }
}
