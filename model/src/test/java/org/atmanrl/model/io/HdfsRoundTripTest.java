package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same round trips as on the local file system, on a real in-process HDFS (hdfs:// paths). */
class HdfsRoundTripTest {
    @TempDir
    static File base;
    static MiniDFSCluster cluster;
    static FileSystem fs;

    @BeforeAll
    static void startHdfs() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(base, "hdfs").getAbsolutePath());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        Path root = new Path(cluster.getURI().toString() + "/models");
        fs = HadoopFiles.fileSystem(root, conf);
        assertEquals("hdfs", fs.getScheme());
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    private static Path path(String name) {
        return new Path(cluster.getURI().toString() + "/models/" + name);
    }

    @Test
    void untiedF32() throws Exception {
        RoundTrips.f32IsBitIdentical(fs, path("untied"), TinyModels.gqaUntiedScaled(0.2),
                SaveOptions.DEFAULT_MAX_SHARD_BYTES);
    }

    @Test
    void tiedF32() throws Exception {
        RoundTrips.f32IsBitIdentical(fs, path("tied"), TinyModels.mqaTied(0.2), SaveOptions.DEFAULT_MAX_SHARD_BYTES);
    }

    @Test
    void sharded() throws Exception {
        RoundTrips.f32IsBitIdentical(fs, path("sharded"), TinyModels.gqaUntiedScaled(0.2), 1500);
        assertEquals(true, fs.exists(new Path(path("sharded"), ShardIndex.FILE)));
    }

    @Test
    void bf16() throws Exception {
        RoundTrips.bf16LoadsBf16Values(fs, path("bf16"), TinyModels.mhaTiedScaled(0.2));
    }
}
