package org.atmanrl.driver.config;

import java.io.Serializable;

/**
 * What the run itself needs from Spark: the {@code spark} section. Everything else (memory,
 * executors) is spark-submit's business.
 *
 * @param master          Spark master URL, or null to keep spark-submit's ({@code local[*]} when
 *                        there is none); default null
 * @param taskMaxFailures attempts per task before the step fails ({@code spark.task.maxFailures});
 *                        default 4 (Spark's)
 */
public record SparkConfig(String master, int taskMaxFailures) implements Serializable {
    public SparkConfig {
        if (master != null && master.isBlank()) {
            throw new IllegalArgumentException("master must be a Spark master URL or null, got \"" + master + "\"");
        }
        if (taskMaxFailures < 1) {
            throw new IllegalArgumentException("task_max_failures must be >= 1, got " + taskMaxFailures);
        }
    }

    public static SparkConfig defaults() {
        return new SparkConfig(null, 4);
    }
}
