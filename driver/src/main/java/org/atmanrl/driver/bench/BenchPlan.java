package org.atmanrl.driver.bench;

import java.util.List;

/**
 * What a bench invocation measures and how often.
 *
 * @param modelRuns      warm-up and measured runs of every model measurement
 * @param gemmRuns       the same for the GEMM reference, with at least its minimum counts
 * @param decodeBatches  batch sizes of the decode measurements
 * @param decodeNewTokens tokens generated per row
 */
record BenchPlan(List<BenchShape> shapes, RepeatedRun modelRuns, RepeatedRun gemmRuns,
                 List<Integer> decodeBatches, int decodeNewTokens) {
    static final List<Integer> DECODE_BATCHES = List.of(1, 32);
    static final int DECODE_NEW_TOKENS = 128;
    static final int QUICK_DECODE_NEW_TOKENS = 32;

    BenchPlan {
        shapes = List.copyOf(shapes);
        decodeBatches = List.copyOf(decodeBatches);
    }
}
