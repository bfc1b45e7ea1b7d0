package org.atmanrl.driver.step;

/**
 * Where a step's wall time went where the step is run (the Spark driver, or the one process):
 * broadcasting the policy, the tasks (a Spark job, or the task's work in process), adding the
 * task results, the optimizer updates (normalise, clip, AdamW, the mask head's update), and the
 * whole step.
 */
public record DriverTimes(double broadcast, double job, double reduction, double update, double step) {
}
