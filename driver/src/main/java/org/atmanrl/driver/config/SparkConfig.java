package org.atmanrl.driver.config;

import java.io.Serializable;

/**
 * What the run itself needs from Spark: the {@code spark} section. Everything else (memory,
 * executors) is spark-submit's business. {@link TrainConfigSchema} declares each key's range,
 * default and meaning.
 *
 * @param master          Spark master URL, or null to keep spark-submit's ({@code local[*]} when
 *                        there is none)
 * @param taskMaxFailures attempts per task before the step fails ({@code spark.task.maxFailures})
 */
public record SparkConfig(String master, int taskMaxFailures) implements Serializable {
}
