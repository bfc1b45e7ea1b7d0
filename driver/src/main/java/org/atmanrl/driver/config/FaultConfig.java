package org.atmanrl.driver.config;

import java.io.Serializable;
import org.atmanrl.model.check.Conflict;

/**
 * Deliberate faults, for tests of recovery: the {@code faults} section. Steps and partitions are
 * 0-based (step 0 is the first update, as in {@code LearningRateSchedule.at}); null turns a fault off.
 * {@link TrainConfigSchema} declares each key's range, default and meaning.
 *
 * @param failTaskStep      with {@code failTaskPartition}: task {@code failTaskPartition} of step
 *                          {@code failTaskStep} throws on its first attempt (Spark retries it); both
 *                          set or both null
 * @param failTaskPartition the partition whose task fails
 * @param nanGradientStep   the first step whose reduced gradient is poisoned (the step must be skipped)
 * @param nanGradientCount  how many steps in a row, from {@code nanGradientStep}, are poisoned. A streak
 *                          longer than {@code optimizer.max_skipped_steps} must stop the run
 */
public record FaultConfig(Long failTaskStep, Integer failTaskPartition, Long nanGradientStep, int nanGradientCount)
        implements Serializable {
    public FaultConfig {
        if ((failTaskStep == null) != (failTaskPartition == null)) {
            throw new Conflict("fail_task_step and fail_task_partition must be set together or both null, got "
                    + failTaskStep + " and " + failTaskPartition, "faults.fail_task_step", "faults.fail_task_partition");
        }
    }

    /** Whether the first attempt of the task of {@code partition} in {@code step} is to fail. */
    public boolean failsTask(long step, int partition) {
        return failTaskStep != null && failTaskStep == step && failTaskPartition == partition;
    }

    /** Whether the gradient of {@code step} is to be poisoned (NaN or infinite, see {@link #poisonAt}). */
    public boolean nanGradientAt(long step) {
        return nanGradientStep != null && step >= nanGradientStep && step - nanGradientStep < nanGradientCount;
    }

    /**
     * The value written into the gradient of a poisoned {@code step}: NaN, then +Infinity, in turn
     * from {@code nanGradientStep}, so that a streak exercises both ways a norm goes non-finite.
     */
    public float poisonAt(long step) {
        if (!nanGradientAt(step)) throw new IllegalArgumentException("step " + step + " is not poisoned");
        return (step - nanGradientStep) % 2 == 0 ? Float.NaN : Float.POSITIVE_INFINITY;
    }
}
