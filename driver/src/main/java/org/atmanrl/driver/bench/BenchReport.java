package org.atmanrl.driver.bench;

/** Where bench results go, as they arrive: the header first, then one measurement at a time. */
interface BenchReport {
    void header(BenchEnvironment env, BenchPlan plan);

    /** A measurement; {@code gemm} is the reference its GFLOP/s are compared with (may be itself). */
    void measurement(Measurement m, Measurement gemm);

    void finish();
}
