package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/** Barrier mode's rank r takes exactly the prompts Spark gives sync mode's partition r. */
class SyncPartitionsTest {
    @Test
    void theSlicesAreSparksPartitions() {
        SparkConf conf = new SparkConf().setMaster("local[1]").setAppName("SyncPartitionsTest")
                .set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            for (int n = 1; n <= 13; n++) {
                List<Integer> items = new ArrayList<>();
                for (int i = 0; i < n; i++) items.add(i);
                for (int p = 1; p <= n; p++) {
                    List<List<Integer>> spark = sc.parallelize(items, p).glom().collect();
                    for (int r = 0; r < p; r++) {
                        assertEquals(spark.get(r), SyncPartitions.slice(items, p, r), n + " items, partition " + r + "/" + p);
                    }
                }
            }
        }
    }
}
