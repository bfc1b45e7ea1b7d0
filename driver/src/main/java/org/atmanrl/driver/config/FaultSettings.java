package org.atmanrl.driver.config;

import java.io.Serializable;

/**
 * Deliberate faults, for tests of recovery: the {@code faults} section. Steps and partitions are
 * 0-based (step 0 is the first update, as in {@code LearningRateSchedule.at}); null turns a fault off.
 *
 * @param failTaskStep      with {@code failTaskPartition}: task {@code failTaskPartition} of step
 *                          {@code failTaskStep} throws on its first attempt (Spark retries it); both
 *                          set or both null
 * @param failTaskPartition the partition whose task fails
 * @param nanGradientStep   the reduced gradient of this step is replaced by NaN (the step must be skipped)
 */
public record FaultSettings(Long failTaskStep, Integer failTaskPartition, Long nanGradientStep) implements Serializable {
    public FaultSettings {
        if ((failTaskStep == null) != (failTaskPartition == null)) {
            throw new IllegalArgumentException("fail_task_step and fail_task_partition must be set together or both"
                    + " null, got " + failTaskStep + " and " + failTaskPartition);
        }
        if (failTaskStep != null && failTaskStep < 0) {
            throw new IllegalArgumentException("fail_task_step must be >= 0, got " + failTaskStep);
        }
        if (failTaskPartition != null && failTaskPartition < 0) {
            throw new IllegalArgumentException("fail_task_partition must be >= 0, got " + failTaskPartition);
        }
        if (nanGradientStep != null && nanGradientStep < 0) {
            throw new IllegalArgumentException("nan_gradient_step must be >= 0, got " + nanGradientStep);
        }
    }

    /** No fault. */
    public static FaultSettings none() {
        return new FaultSettings(null, null, null);
    }

    /** Whether the first attempt of the task of {@code partition} in {@code step} is to fail. */
    public boolean failsTask(long step, int partition) {
        return failTaskStep != null && failTaskStep == step && failTaskPartition == partition;
    }

    /** Whether the gradient of {@code step} is to be NaN. */
    public boolean nanGradientAt(long step) {
        return nanGradientStep != null && nanGradientStep == step;
    }
}
