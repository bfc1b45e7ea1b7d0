package org.atmanrl.driver.step;

import java.util.function.Consumer;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.task.TaskResult;

/**
 * The {@code mu} policy updates of one GRPO step (docs/design.md 2.3), wherever the gradient sums
 * come from (Spark tasks reduced in partition order, or {@code TaskStep} in this process): update
 * {@code u}'s sums are normalised once and applied by {@link PolicyUpdate}. A skipped update ends
 * the step, so a step's later updates never follow a gradient that could not be applied.
 */
public final class PolicyStep {
    private PolicyStep() {
    }

    /** Update {@code u}'s task results, already added over all tasks. */
    @FunctionalInterface
    public interface Sums {
        TaskResult of(int update);
    }

    /**
     * What the updates did: the rollouts' results (metrics of the first update, task times of all),
     * the last update's mean gradient and its {@link PolicyUpdate.Result}, and the seconds spent
     * normalising, clipping and stepping AdamW.
     */
    public record Result(TaskResult rollouts, NormalisedGradient gradient, PolicyUpdate.Result update,
                         double updateSeconds) {
        public boolean skipped() {
            return update.skipped();
        }
    }

    /**
     * @param step   0-based step; its updates are optimizer updates {@code step * mu + u}
     * @param fault  sees each mean gradient before it is clipped (the fault drills' NaN); may be null
     */
    public static Result run(int mu, long step, Sums sums, Consumer<NormalisedGradient> fault, PolicyUpdate update) {
        if (mu < 1) {
            throw new IllegalArgumentException("mu must be >= 1, got " + mu);
        }
        TaskResult rollouts = null;
        NormalisedGradient gradient = null;
        PolicyUpdate.Result applied = null;
        double seconds = 0;
        for (int u = 0; u < mu; u++) {
            TaskResult merged = sums.of(u);
            // rollout metrics come with the first update; task times add up over all of them
            rollouts = u == 0 ? merged : new TaskResult(rollouts.gradient(), rollouts.metrics(),
                    rollouts.timings().plus(merged.timings()), Math.max(rollouts.slowestTask(), merged.slowestTask()),
                    rollouts.tasks(), rollouts.masksCollapsed(), rollouts.head(), rollouts.audit());
            long t0 = System.nanoTime();
            gradient = merged.gradient().normalise();
            if (fault != null) fault.accept(gradient);
            applied = update.apply(gradient, step * mu + u);
            seconds += (System.nanoTime() - t0) / 1e9;
            if (applied.skipped()) break; // the weights and optimizer state stay as they were
        }
        return new Result(rollouts, gradient, applied, seconds);
    }
}
