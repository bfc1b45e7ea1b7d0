package org.atmanrl.driver.spark;

/**
 * Where a step's wall time went on the driver: broadcasting the policy, the Spark job (tasks and
 * their scheduling), the reduction of the task results, the optimizer update, and the whole step.
 */
record StepTimes(double broadcast, double job, double reduction, double update, double step) {
}
