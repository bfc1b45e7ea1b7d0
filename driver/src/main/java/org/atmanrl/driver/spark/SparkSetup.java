package org.atmanrl.driver.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.SparkConfig;
import org.atmanrl.model.BlasThreads;

/**
 * The Spark configuration the training service needs on any master: Kryo with registration
 * required and the service's {@link KryoRegistration}; OpenMP's passive wait on executors (ND4J's
 * threads otherwise spin against OpenBLAS's on few cores, see docs/deployment.md, "Build notes")
 * and OpenBLAS's short idle spin ({@link BlasThreads#THREAD_TIMEOUT});
 * and the master: what {@code spark-submit --master} set, else the config's, else
 * {@code local[*]} with task retries.
 */
public final class SparkSetup {
    private SparkSetup() {}

    public static SparkConf conf(SparkConfig spark, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (!conf.contains("spark.master")) {
            conf.setMaster(spark.master() != null ? spark.master()
                    : "local[*," + spark.taskMaxFailures() + "]");
        }
        conf.set("spark.task.maxFailures", Integer.toString(spark.taskMaxFailures()));
        conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.set("spark.kryo.registrationRequired", "true");
        conf.set("spark.kryo.registrator", KryoRegistration.class.getName());
        conf.setIfMissing("spark.kryoserializer.buffer.max", "1g");
        conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
        conf.setIfMissing("spark.executorEnv.OPENBLAS_THREAD_TIMEOUT", BlasThreads.THREAD_TIMEOUT);
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.ui.enabled", "false");
        return conf;
    }

    /**
     * {@code conf} for {@code runs} training runs at once from driver threads (sweep's
     * parallel_points): FAIR scheduling, so that each thread's jobs (its pool, set with
     * {@code sc.setLocalProperty("spark.scheduler.pool", ...)}) share the cores instead of queueing
     * behind another run's, and a model per run kept on each executor.
     */
    public static SparkConf forConcurrentRuns(SparkConf conf, int runs) {
        if (runs > 1) conf.setIfMissing("spark.scheduler.mode", "FAIR");
        conf.set(ExecutorModels.CAPACITY_KEY, Integer.toString(Math.max(1, runs)));
        return conf;
    }

    public static JavaSparkContext start(SparkConfig spark, String appName) {
        return start(conf(spark, appName));
    }

    public static JavaSparkContext start(SparkConf conf) {
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        return sc;
    }
}
