package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.KryoSerializer;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoSums;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.NamedArrays;
import org.junit.jupiter.api.Test;

/**
 * Which Spark setting caps a task's result (docs/design.md 3.2): with the service's own Spark
 * configuration ({@link SparkSetup#conf}: Kryo, registration required, {@link KryoRegistration}),
 * on local[2], each task of a job returns a {@link TaskResult} whose gradient sum is 4 MiB of
 * floats, over Spark's default {@code spark.task.maxDirectResultSize} of 1 MiB, so it travels as
 * an indirect result through the block manager, as a large model's would.
 * <ul>
 * <li>Over {@code spark.kryoserializer.buffer.max} (1m) but under {@code spark.driver.maxResultSize}
 * (64m): the job succeeds and the floats arrive intact. Spark 3.5 streams a task's result through
 * the serializer in chunks; the buffer limit bounds only a whole-object {@code serialize}, which
 * the same configuration refuses for the same result with "Buffer overflow".</li>
 * <li>Under buffer.max (64m) but over maxResultSize (2m): the job is aborted, and the service's
 * one-line error names {@code spark.driver.maxResultSize} as the setting to raise. The cap is on
 * the sum of a job's results: two of 4 MiB fail a maxResultSize of 6m.</li>
 * </ul>
 */
class TaskResultCapTest {
    /** Floats in each task's gradient sum: 4 MiB. */
    static final int FLOATS = 1 << 20;
    static final long BYTES = 4L * FLOATS;

    static TaskResult result(int partition) {
        float[] g = new float[FLOATS];
        for (int i = 0; i < g.length; i++) g[i] = partition + i * 1e-3f;
        GradientContribution gc = new GradientContribution(GrpoConfig.Aggregation.TOKEN,
                new NamedArrays(new String[] {"w"}, new long[][] {{FLOATS}}, new float[][] {g}), GrpoSums.zero());
        return new TaskResult(gc, RolloutMetrics.ZERO, new StepTimings(0, 0, 0), 0, 1, false);
    }

    /** The service's Spark configuration on local[2], with the two limits set as given. */
    static SparkConf conf(String bufferMax, String maxResultSize) {
        return SparkSetup.conf(TrainConfig.defaults().spark(), "TaskResultCapTest").setMaster("local[2]")
                .set("spark.kryoserializer.buffer.max", bufferMax)
                .set(TaskResultLimits.MAX_RESULT_SIZE, maxResultSize)
                .set("spark.task.maxDirectResultSize", "1m"); // Spark's default, stated: 4 MiB goes indirect
    }

    /**
     * A job of {@code tasks} tasks on a Spark context of {@code conf}, each returning the
     * {@link #result} of its partition, collected as a training step collects its results.
     */
    static List<TaskResult> job(SparkConf conf, int tasks) {
        try (JavaSparkContext sc = SparkSetup.start(conf)) {
            return TaskResultLimits.collect(sc.parallelize(List.of(0, 1), tasks)
                    .mapPartitionsWithIndex((p, rows) -> List.of(result(p)).iterator(), true), "step 1");
        }
    }

    @Test
    void aResultOverKryosBufferMaxButUnderMaxResultSizeArrives() {
        SparkConf conf = conf("1m", "64m");
        // the buffer limit is in force: a whole-object serialize of the same result overflows it
        Exception overflow = assertThrows(Exception.class,
                () -> new KryoSerializer(conf).newInstance().serialize(result(0), scala.reflect.ClassTag$.MODULE$.Any()));
        System.out.println("TaskResultCapTest: " + overflow.getMessage());
        assertTrue(overflow.getMessage().contains("Buffer overflow")
                && overflow.getMessage().contains("spark.kryoserializer.buffer.max"), overflow.getMessage());
        // but a task's result is streamed: two results of 4 MiB each, 4x buffer.max, arrive intact
        List<TaskResult> results = job(conf, 2);
        assertEquals(2, results.size());
        for (int p = 0; p < 2; p++) {
            float[] g = results.get(p).gradient().gradientSum(0);
            assertEquals(FLOATS, g.length);
            assertEquals(p + (FLOATS - 1) * 1e-3f, g[FLOATS - 1]);
        }
    }

    @Test
    void aResultUnderKryosBufferMaxButOverMaxResultSizeFailsNamingTheSetting() {
        assertStopsNamingMaxResultSize(conf("64m", "2m"), 1, "1 tasks (4.0 MiB)", "(2.0 MiB)");
    }

    @Test
    void maxResultSizeCapsTheSumOfAJobsResultsNotEachOne() {
        // each 4 MiB result is under 6m, the two together are not
        assertStopsNamingMaxResultSize(conf("64m", "6m"), 2, "2 tasks (8.0 MiB)", "(6.0 MiB)");
    }

    /** A job of {@code tasks} results on {@code conf} stops with one line: Spark's sizes, then the setting to raise. */
    static void assertStopsNamingMaxResultSize(SparkConf conf, int tasks, String results, String limit) {
        String m = assertThrows(UserInputException.class, () -> job(conf, tasks)).getMessage();
        System.out.println("TaskResultCapTest: " + m);
        assertTrue(m.startsWith("step 1: Total size of serialized results of " + results + " is bigger than"
                + " spark.driver.maxResultSize " + limit + "; raise spark.driver.maxResultSize"), m);
        assertEquals(1, m.lines().count(), m);
    }
}
