package org.atmanrl.executor.optim;

import java.util.Map;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One optimizer update of the policy (docs/design.md 2.3): the step's mean gradient is clipped by
 * global norm (its squares summed per shard, docs/design.md 3.5) and applied by AdamW at the
 * schedule's learning rate. A NaN or infinite gradient skips the update: the weights and the
 * optimizer state stay as they were, and the caller counts the skip. The only place the policy's weights change, in every way of running a step.
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

    /**
     * How an update gets {@code Σ g²} over the whole model for clipping: in one process from the
     * whole mean gradient, or, in barrier mode, from this rank's shard combined with the other ranks'
     * (docs/design.md 3.5); both add per-shard sums in shard order.
     */
    @FunctionalInterface
    public interface GlobalSumOfSquares {
        double of(NormalisedGradient gradient);
    }

    private final AdamW adam;
    private final LearningRateSchedule schedule;
    private final double clipNorm;
    private final GlobalSumOfSquares sumOfSquares;

    /**
     * @param shards the P of the global norm's per-shard form (docs/design.md 3.5): the run's
     *               partition count, so that sync and barrier mode clip by the same bits
     */
    public PolicyUpdate(AdamW adam, LearningRateSchedule schedule, double clipNorm, int shards) {
        this(adam, schedule, clipNorm, shardCount(shards));
    }

    /**
     * @param sumOfSquares the whole model's {@code Σ g²} of a mean gradient; barrier mode's ranks
     *                     hold a shard of it, whose AdamW covers that shard's tensors only
     */
    public PolicyUpdate(AdamW adam, LearningRateSchedule schedule, double clipNorm, GlobalSumOfSquares sumOfSquares) {
        GradientClipping.checkMaxNorm(clipNorm);
        this.adam = adam;
        this.schedule = schedule;
        this.clipNorm = clipNorm;
        this.sumOfSquares = sumOfSquares;
    }

    private static GlobalSumOfSquares shardCount(int shards) {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        return g -> g.sumOfSquares(shards);
    }

    /** Clips {@code gradient} in place and applies it as optimizer update {@code update} (0-based) of the run. */
    public Result apply(NormalisedGradient gradient, long update) {
        GradientClipping.Result clip = GradientClipping.clip(gradient.gradients(), sumOfSquares.of(gradient), clipNorm);
        double lr = schedule.at(update);
        if (clip.finite()) {
            Map<String, INDArray> g = gradient.toArrays(DataType.FLOAT);
            adam.step(g, lr);
            g.values().forEach(INDArray::close);
        }
        return new Result(clip, lr);
    }
}
