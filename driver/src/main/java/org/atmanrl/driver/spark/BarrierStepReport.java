package org.atmanrl.driver.spark;

import org.atmanrl.executor.task.TaskResult;

/**
 * What a barrier stage's rank 0 tells the driver about one step (docs/design.md 3.5): what sync
 * mode's driver would have known after it, for the same metrics line. Every rank computes the same
 * values; only rank 0 reports them.
 *
 * @param step           the steps done after this one (1-based, as the metrics count)
 * @param rollouts       the tasks' results added in rank order, without gradient arrays
 * @param gradNorm       the global norm before clipping (NaN or infinite when the update was skipped)
 * @param clipScale      the factor clipping applied
 * @param lr             the update's learning rate
 * @param optimizerSteps AdamW's steps after this one
 * @param compute        seconds of the rank's rollouts and gradient
 * @param exchange       seconds of the metrics' exchange and the gradients' reduce-scatter
 * @param update         seconds of normalising, clipping, AdamW on the shard and the all-gather
 * @param total          the step's wall seconds on rank 0
 */
record BarrierStepReport(long step, TaskResult rollouts, double gradNorm, double clipScale, double lr,
                         long optimizerSteps, double compute, double exchange, double update, double total) {
}
