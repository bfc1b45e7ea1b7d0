package org.atmanrl.driver.config;

import java.io.Serializable;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;

/**
 * The policy optimizer: the {@code optimizer} section (docs/design.md 2.3: AdamW, global-norm
 * clipping, warm-up then a constant or cosine learning rate).
 *
 * @param lr          peak learning rate; default 3e-5
 * @param adam        AdamW's betas, eps, weight decay and its scope; PyTorch's defaults except weight
 *                    decay 0.0 (the Hugging Face Trainer's and TRL's)
 * @param clipNorm    global gradient-norm limit, {@code > 0}; default 1.0 (TRL)
 * @param warmupSteps linear warm-up length in steps; default 0
 * @param schedule    learning rate after warm-up; default constant
 * @param minLrRatio  final learning rate as a fraction of {@code lr} for cosine and linear; default 0.1
 * @param maxSkippedSteps steps in a row whose gradient may be NaN or infinite (update skipped) before
 *                    the run stops with a checkpoint, {@code >= 0}; default 3. One bad batch is
 *                    survivable, a streak means the run has diverged and more steps only waste the cluster
 */
public record OptimizerConfig(double lr, AdamW.Config adam, double clipNorm, long warmupSteps,
                                LearningRateSchedule.Decay schedule, double minLrRatio, int maxSkippedSteps)
        implements Serializable {
    public OptimizerConfig {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
        if (adam == null) throw new IllegalArgumentException("adam is required");
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip_norm must be finite and > 0, got " + clipNorm);
        }
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        if (schedule == null) throw new IllegalArgumentException("schedule must be constant, cosine or linear, got null");
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) {
            throw new IllegalArgumentException("min_lr_ratio must be in [0, 1], got " + minLrRatio);
        }
        if (maxSkippedSteps < 0) {
            throw new IllegalArgumentException("max_skipped_steps must be >= 0, got " + maxSkippedSteps);
        }
    }

    public static OptimizerConfig defaults() {
        return new OptimizerConfig(3e-5, new AdamW.Config(0.9, 0.999, 1e-8, 0.0, AdamW.DecayScope.ALL), 1.0, 0,
                LearningRateSchedule.Decay.CONSTANT, 0.1, 3);
    }

    /** The learning rate per step of a run of {@code totalSteps} steps (cosine and linear decay until then). */
    public LearningRateSchedule schedule(long totalSteps) {
        return new LearningRateSchedule(lr, warmupSteps, schedule, totalSteps, minLrRatio);
    }
}
