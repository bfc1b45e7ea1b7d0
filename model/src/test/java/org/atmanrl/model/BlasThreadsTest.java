package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** {@link BlasThreads}: the one-thread rule for small GEMVs, and where it does not apply. */
class BlasThreadsTest {
    private final int started = Nd4j.factory().blas().getMaxThreads();

    @AfterEach
    void restore() {
        BlasThreads.setBudget(Math.max(1, started), false);
    }

    @Test
    void aSmallProductRunsOnOneThreadAndTheBudgetComesBack() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs 2 cores to tell 1 BLAS thread from 2");
        BlasThreads.setBudget(2, false);
        assertEquals(2, threads());
        BlasThreads.gemv(BlasThreads.ONE_THREAD_BELOW - 1, () -> {
            assertEquals(1, threads(), "a small GEMV");
            BlasThreads.gemv(10, () -> assertEquals(1, threads(), "nested"));
            assertEquals(1, threads(), "after a nested one");
            BlasThreads.setBudget(2, false); // a task starting meanwhile: applied when the small product ends
            assertEquals(1, threads(), "a budget set during a small product waits for its end");
        });
        assertEquals(2, threads(), "the budget is back after the small product");
        BlasThreads.gemv(BlasThreads.ONE_THREAD_BELOW, () -> assertEquals(2, threads(), "a large GEMV keeps the budget"));
    }

    /** In a Spark process, where tasks may run side by side, a small product keeps the budget too. */
    @Test
    void aProcessSharedByTasksNeverSwitches() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs 2 cores to tell 1 BLAS thread from 2");
        BlasThreads.setBudget(2, true);
        BlasThreads.gemv(10, () -> assertEquals(2, threads(), "a small GEMV in a shared process"));
        assertEquals(2, threads());
    }

    private static int threads() {
        return Nd4j.factory().blas().getMaxThreads();
    }
}
