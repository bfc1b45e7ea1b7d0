package org.atmanrl.executor.optim;

import java.util.Map;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One optimizer update of the policy (docs/design.md 2.3): the step's mean gradient is clipped by
 * global norm and applied by AdamW at the schedule's learning rate. A NaN or infinite gradient
 * skips the update: the weights and the optimizer state stay as they were, and the caller counts
 * the skip. The only place the policy's weights change, in every way of running a step.
 */
public final class PolicyUpdate {
    /** The norm before clipping, the clip's scale and the learning rate of one update. */
    public record Result(GradientClipping.Result clip, double lr) {
        public boolean skipped() {
            return !clip.finite();
        }

        public double gradNorm() {
            return clip.norm();
        }
    }

    private final AdamW adam;
    private final LearningRateSchedule schedule;
    private final double clipNorm;

    public PolicyUpdate(AdamW adam, LearningRateSchedule schedule, double clipNorm) {
        GradientClipping.checkMaxNorm(clipNorm);
        this.adam = adam;
        this.schedule = schedule;
        this.clipNorm = clipNorm;
    }

    /** Clips {@code gradient} in place and applies it as optimizer update {@code update} (0-based) of the run. */
    public Result apply(NormalisedGradient gradient, long update) {
        GradientClipping.Result clip = GradientClipping.clip(gradient.gradients(), clipNorm);
        double lr = schedule.at(update);
        if (clip.finite()) {
            Map<String, INDArray> g = gradient.toArrays(DataType.FLOAT);
            adam.step(g, lr);
            g.values().forEach(INDArray::close);
        }
        return new Result(clip, lr);
    }
}
