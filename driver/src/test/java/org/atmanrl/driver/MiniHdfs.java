package org.atmanrl.driver;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.atmanrl.model.io.HadoopFiles;

/**
 * A real in-process HDFS with one data node under a test's temporary directory, and its file
 * system as the commands open one ({@link HadoopFiles#fileSystem}): slow to start, so one per test
 * class.
 */
public record MiniHdfs(MiniDFSCluster cluster, FileSystem fs) implements AutoCloseable {
    public static MiniHdfs start(File base) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(base, "hdfs").getAbsolutePath());
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        return new MiniHdfs(cluster, HadoopFiles.fileSystem(new Path(cluster.getURI() + "/"), conf));
    }

    /** {@code absolute} (starting with /) on this HDFS, as an hdfs:// path. */
    public Path path(String absolute) {
        return new Path(cluster.getURI() + absolute);
    }

    @Override
    public void close() {
        cluster.shutdown();
    }
}
