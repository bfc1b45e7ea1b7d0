package org.atmanrl.driver.spark;

import java.util.List;

/**
 * Which of a step's prompts sync mode's partition {@code r} holds: {@code sc.parallelize(prompts, P)}
 * cuts a list into P contiguous slices, slice {@code r} from {@code r·n/P} to {@code (r+1)·n/P}
 * (Spark's ParallelCollectionRDD, in long arithmetic). Barrier mode's rank r trains on exactly these
 * (docs/design.md 3.5); {@code SyncPartitionsTest} checks the cut against Spark's own.
 */
final class SyncPartitions {
    private SyncPartitions() {
    }

    static <T> List<T> slice(List<T> items, int partitions, int partition) {
        long n = items.size();
        int from = (int) (partition * n / partitions), to = (int) ((partition + 1) * n / partitions);
        return items.subList(from, to);
    }
}
