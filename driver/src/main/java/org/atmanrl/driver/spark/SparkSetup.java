package org.atmanrl.driver.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.SparkSettings;

/**
 * The Spark configuration the training service needs on any master: Kryo with registration
 * required and the service's {@link KryoRegistration}; OpenMP's passive wait on executors (ND4J's
 * threads otherwise spin against OpenBLAS's on few cores, see README); and the master: what
 * {@code spark-submit --master} set, else the config's, else {@code local[*]} with task retries.
 */
public final class SparkSetup {
    private SparkSetup() {}

    public static SparkConf conf(SparkSettings settings, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (!conf.contains("spark.master")) {
            conf.setMaster(settings.master() != null ? settings.master()
                    : "local[*," + settings.taskMaxFailures() + "]");
        }
        conf.set("spark.task.maxFailures", Integer.toString(settings.taskMaxFailures()));
        conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.set("spark.kryo.registrationRequired", "true");
        conf.set("spark.kryo.registrator", KryoRegistration.class.getName());
        conf.setIfMissing("spark.kryoserializer.buffer.max", "1g");
        conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.ui.enabled", "false");
        return conf;
    }

    public static JavaSparkContext start(SparkSettings settings, String appName) {
        JavaSparkContext sc = new JavaSparkContext(conf(settings, appName));
        sc.setLogLevel("WARN");
        return sc;
    }
}
