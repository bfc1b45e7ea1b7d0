package org.atmanrl.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The build's pins hold together at run time: slf4j 2 binds to Spark's log4j2 (an slf4j 1.7 API
 * dragged in by the Hadoop client would leave Spark's logging silent), and a local Spark job runs
 * on Java 17 with the module opens the build passes.
 */
class SparkRuntimeTest {

    @Test
    void slf4jBindsToLog4j2() {
        String factory = LoggerFactory.getILoggerFactory().getClass().getName();
        assertTrue(factory.startsWith("org.apache.logging.slf4j"), "slf4j is bound to " + factory);
    }

    @Test
    void localSparkJobRuns() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("runtime-check")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            int sum = sc.parallelize(List.of(1, 2, 3, 4, 5, 6), 2).map(x -> x * x).reduce(Integer::sum);
            assertEquals(91, sum);
        }
    }
}
