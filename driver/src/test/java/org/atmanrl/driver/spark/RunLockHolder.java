package org.atmanrl.driver.spark;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;

/**
 * Another job, for {@link RunLockTest}: takes the lock of the output directory it is given, says
 * {@code held}, and keeps it until killed or until its standard input ends (the test is gone).
 */
public final class RunLockHolder {
    private RunLockHolder() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = new Path(args[0]);
        try (RunLock lock = RunLock.acquireDirectory(HadoopFiles.fileSystem(dir, new Configuration()), dir, "output")) {
            System.out.println("held " + lock.holder().started());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait
            }
        }
    }
}
