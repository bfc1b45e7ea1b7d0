package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** {@link BlasThreads}: one BLAS thread for one row of a small model's decoding, and where not. */
class BlasThreadsTest {
    private final int started = Nd4j.factory().blas().getMaxThreads();
    private LlamaModel small;

    @BeforeEach
    void twoCores() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs 2 cores to tell 1 BLAS thread from 2");
        small = new LlamaModel(TinyModels.weights(TinyModels.all(0.3).get(0), 91, DataType.FLOAT));
    }

    @AfterEach
    void restore() {
        BlasThreads.setBudget(Math.max(1, started), false);
    }

    @Test
    void oneRowOfASmallModelRunsOnOneThreadAndTheBudgetComesBack() {
        BlasThreads.setBudget(2, false);
        assertEquals(2, threads());
        BlasThreads.oneRow(small, () -> {
            assertEquals(1, threads(), "one row of a small model");
            BlasThreads.oneRow(small, () -> threadsNow(1, "nested"));
            assertEquals(1, threads(), "after a nested one");
            BlasThreads.setBudget(2, false); // a budget set meanwhile: applied when the generation ends
            assertEquals(1, threads(), "a budget set during a generation waits for its end");
            return null;
        });
        assertEquals(2, threads(), "the budget is back after the generation");
    }

    @Test
    void aModelWithALargeMatrixKeepsTheBudget() {
        BlasThreads.setBudget(2, false);
        // the embedding, 4,096 x 1,024 = 2^22 entries
        LlamaModel large = new LlamaModel(LlamaWeights.random(LlamaConfig.of(4096, 1024, 16, 1, 1, 1, null, null, false),
                92, DataType.FLOAT));
        BlasThreads.oneRow(large, () -> threadsNow(2, "a model with a 2^22-entry matrix"));
        large.weights().close();
    }

    /** In a Spark process, where tasks may run side by side, one row keeps the budget too. */
    @Test
    void aProcessSharedByTasksNeverSwitches() {
        BlasThreads.setBudget(2, true);
        BlasThreads.oneRow(small, () -> threadsNow(2, "one row in a shared process"));
        assertEquals(2, threads());
    }

    private static Void threadsNow(int expected, String what) {
        assertEquals(expected, threads(), what);
        return null;
    }

    private static int threads() {
        return Nd4j.factory().blas().getMaxThreads();
    }
}
