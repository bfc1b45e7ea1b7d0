package org.atmanrl.driver.step;

import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.task.TaskResult;

/**
 * What one training step did, as the loop that runs it reads it and as {@link StepMetrics} writes
 * it to {@code metrics.jsonl}.
 *
 * @param step     the steps done after this one (1-based, as the metrics count)
 * @param rollouts the tasks' results added over tasks (metrics of the first update, times of all)
 * @param gradient the last update's mean gradient
 * @param update   the last update: norm, clip, learning rate, whether it was skipped
 * @param streak   the skipped steps in a row, this one included
 * @param head     the mask network's update; null without one
 */
public record StepOutcome(long step, TaskResult rollouts, NormalisedGradient gradient, PolicyUpdate.Result update,
                          SkipStreak streak, DriverTimes times, HeadUpdate head) {
}
