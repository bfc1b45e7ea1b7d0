package org.atmanrl.driver.config;

/**
 * How a run's steps are distributed (docs/design.md 3.2): {@link #SYNC} sends every task's gradient
 * sums to the driver, which steps AdamW and broadcasts the policy again; {@link #BARRIER} keeps one
 * replica per task for a whole checkpoint interval (one barrier stage) and reduces the gradients
 * between the tasks, each stepping AdamW on its shard (docs/design.md 3.5). Both give the same bytes
 * at the same partition count.
 */
public enum TrainingMode {
    SYNC,
    BARRIER
}
