package org.atmanrl.driver.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.atmanrl.driver.UserInputException;

/**
 * Spark's cap on what a job's tasks may return, turned into one line that names the setting to
 * raise. Spark 3.5 streams a task's result through the serializer into chunks, so
 * {@code spark.kryoserializer.buffer.max} does not bound it; results above
 * {@code spark.task.maxDirectResultSize} travel through the block manager, and the driver aborts
 * the job once the results of its tasks add up to more than {@code spark.driver.maxResultSize}
 * (docs/design.md 3.2, "Models too large for sync mode"; {@code TaskResultCapTest} shows both).
 */
final class TaskResultLimits {
    static final String MAX_RESULT_SIZE = "spark.driver.maxResultSize";
    /** What Spark's job abort says when the results exceed {@link #MAX_RESULT_SIZE}. */
    private static final String OVER = "is bigger than " + MAX_RESULT_SIZE;

    private TaskResultLimits() {
    }

    /**
     * {@code rdd.collect()}; a job aborted because its results exceed {@link #MAX_RESULT_SIZE}
     * becomes a {@link UserInputException} saying so for {@code what} (the job), any other failure
     * is rethrown as it was.
     */
    static <T> List<T> collect(JavaRDD<T> rdd, String what) {
        try {
            return rdd.collect();
        } catch (Exception e) { // SparkException is checked in Java, though collect does not declare it
            String m = e.getMessage();
            if (m == null || !m.contains(OVER)) throw e;
            int from = m.indexOf("Total size");
            String spark = (from >= 0 ? m.substring(from) : m).lines().findFirst().orElse("").strip();
            throw new UserInputException(what + ": " + spark + "; raise " + MAX_RESULT_SIZE + " (0 means no limit, as"
                    + " deploy/submit sets it): the driver must hold every task's result at once, a gradient sum of"
                    + " 4 bytes per trained parameter each in a training step");
        }
    }
}
