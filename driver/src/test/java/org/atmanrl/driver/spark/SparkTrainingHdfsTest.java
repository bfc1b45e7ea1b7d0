package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose output directory is on a real (in-process) HDFS: it checkpoints there, stops, and a
 * resumed run continues from that checkpoint to the same weights as an uninterrupted run on the
 * local disk.
 */
class SparkTrainingHdfsTest {
    @TempDir
    static File base;
    static MiniDFSCluster cluster;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() throws Exception {
        SparkTrainingTest.model = EasyTaskModel.directory();
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(base, "hdfs").getAbsolutePath());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        sc = SparkSetup.start(TrainConfig.defaults().spark(), "SparkTrainingHdfsTest");
        SparkTrainingTest.base = base;
        SparkTrainingTest.sc = sc;
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
        if (cluster != null) cluster.shutdown();
        SparkTrainingTest.sc = null;
    }

    @Test
    void checkpointsOnHdfsAndResumesFromThem() throws Exception {
        String local = new File(base, "local").getPath();
        String hdfs = cluster.getURI() + "/runs/hdfs";
        SparkTrainingTest.train(SparkTrainingTest.config(local), false, -1);
        SparkTrainingTest.train(SparkTrainingTest.config(hdfs), false, 1);
        FileSystem fs = cluster.getFileSystem();
        assertTrue(fs.exists(new Path("/runs/hdfs/checkpoints/step-00000001/manifest.json")));
        SparkTraining.Outcome resumed = SparkTrainingTest.train(SparkTrainingTest.config(hdfs), true, -1);
        assertEquals(1, resumed.firstStep());
        assertTrue(resumed.finished());
        byte[] onHdfs;
        try (var in = fs.open(new Path("/runs/hdfs/model/" + ModelDirectory.WEIGHTS))) {
            onHdfs = in.readAllBytes();
        }
        assertArrayEquals(Files.readAllBytes(new File(local, "model/" + ModelDirectory.WEIGHTS).toPath()), onHdfs);
    }
}
