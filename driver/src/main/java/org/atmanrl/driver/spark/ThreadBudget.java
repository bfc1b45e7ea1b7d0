package org.atmanrl.driver.spark;

import org.apache.spark.SparkConf;
import org.atmanrl.model.BlasThreads;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How many threads ND4J (its OpenMP pool) and OpenBLAS may use while a task runs. Both pools are
 * per process, sized to every core by default; two tasks side by side in one JVM then run four
 * threads on two cores and the step got slower, not faster (measured: local[2] with two tasks
 * 4.9 s per step against 4.2 s for one task; with one thread per task 3.0 s). So each task gets
 * {@code spark.task.cpus} threads when that is set, and in local mode the machine's cores divided
 * by the tasks that run at once; on a cluster without {@code spark.task.cpus} the pools are left
 * as they are.
 */
public final class ThreadBudget {
    private static int applied = -1;

    private ThreadBudget() {}

    /** Threads per task for a step of {@code partitions} tasks under {@code conf}; 0 = leave the pools alone. */
    static int perTask(SparkConf conf, int partitions) {
        if (conf.contains("spark.task.cpus")) {
            return Math.max(1, conf.getInt("spark.task.cpus", 1));
        }
        int slots = localSlots(conf.get("spark.master", ""));
        if (slots == 0) return 0;
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(1, cores / Math.max(1, Math.min(slots, partitions)));
    }

    /** Task slots of a local master ({@code local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}), 0 if not local. */
    static int localSlots(String master) {
        if (master.equals("local")) return 1;
        if (!master.startsWith("local[")) return 0;
        String n = master.substring("local[".length(), master.length() - 1).split(",")[0].trim();
        return n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
    }

    /** Sizes both pools to {@code threads} (no-op for 0 or the size already set). */
    public static synchronized void apply(int threads) {
        if (threads <= 0 || threads == applied) return;
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        BlasThreads.setBudget(threads, true); // tasks may run side by side: no per-product switching
        applied = threads;
    }
}
