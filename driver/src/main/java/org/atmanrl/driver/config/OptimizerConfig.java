package org.atmanrl.driver.config;

import java.io.Serializable;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;

/**
 * The policy optimizer: the {@code optimizer} section (docs/design.md 2.3: AdamW, global-norm
 * clipping, warm-up then a constant, cosine or linear learning rate). {@link TrainConfigSchema}
 * declares each key's range, default and meaning.
 *
 * @param lr              peak learning rate
 * @param adam            AdamW's betas, eps, weight decay and its scope
 * @param clipNorm        global gradient-norm limit
 * @param warmupSteps     linear warm-up length in steps
 * @param schedule        learning rate after warm-up
 * @param minLrRatio      final learning rate as a fraction of {@code lr} for cosine and linear
 * @param maxSkippedSteps steps in a row whose gradient may be NaN or infinite (update skipped) before
 *                        the run stops with a checkpoint. One bad batch is survivable, a streak means
 *                        the run has diverged and more steps only waste the cluster
 */
public record OptimizerConfig(double lr, AdamW.Config adam, double clipNorm, long warmupSteps,
                              LearningRateSchedule.Decay schedule, double minLrRatio, int maxSkippedSteps)
        implements Serializable {
    /** The learning rate per step of a run of {@code totalSteps} steps (cosine and linear decay until then). */
    public LearningRateSchedule schedule(long totalSteps) {
        return new LearningRateSchedule(lr, warmupSteps, schedule, totalSteps, minLrRatio);
    }
}
