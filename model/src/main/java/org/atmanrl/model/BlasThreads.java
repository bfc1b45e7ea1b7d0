package org.atmanrl.model;

import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How many threads OpenBLAS runs a product on, one setting per process (docs/design.md 6.2,
 * "Threads"). A Spark process sets a budget per task ({@code ThreadBudget}). In a process that runs
 * one model thread (bench, the one-process commands), decoding a single row of a model whose
 * matrices all have fewer than {@link #ONE_THREAD_BELOW} entries runs on one thread: OpenBLAS
 * splits a GEMV over its threads from 9,216 entries on, and at such sizes waking and joining them
 * costs more than the product (docs/measurements.md, "Decoding at batch 1"). The switch is made once
 * per generation, not per product: setting OpenBLAS's thread count costs 0.4-1 ms a pair.
 *
 * <p>Not in a Spark process: OpenBLAS 0.3.19 (ND4J's) has no per-call or per-thread count, so the
 * switch would reach the products of tasks running beside it, and a product's bits depend on the
 * thread count it ran on (measured: a training pass's log-probabilities and gradients differed on 1
 * and 2 threads; docs/measurements.md, "Decoding at batch 1"), so a retried task could differ.
 */
public final class BlasThreads {
    /**
     * {@code OPENBLAS_THREAD_TIMEOUT} for every process that runs the model: an idle OpenBLAS thread
     * spins 2^22 TSC cycles (about a millisecond) before it sleeps, instead of 0.3.19's 2^28 (about
     * 90 ms), during which it takes a core from the Java passes between products (docs/design.md
     * 6.1, "BLAS threads that spin"). OpenBLAS reads it when it loads, so it goes into the
     * environment of the JVMs (the launcher, the executors, the test JVMs, the image), with this value
     * in each; {@code DeployScriptsTest} holds them equal.
     */
    public static final String THREAD_TIMEOUT = "22";

    /** Matrix entries (16 MB of fp32) from which a model's decoding is left to the budget's threads. */
    public static final long ONE_THREAD_BELOW = 1L << 22;

    private static int budget = -1; // -1: whatever OpenBLAS started with
    private static boolean shared;
    private static int singles;

    private BlasThreads() {}

    /**
     * Sets the process's BLAS threads (applied at once, or when the last small product ends).
     * {@code sharedByTasks}: other threads may run products meanwhile, so small ones keep the budget too.
     */
    public static synchronized void setBudget(int threads, boolean sharedByTasks) {
        if (threads < 1) throw new IllegalArgumentException("BLAS threads must be >= 1, got " + threads);
        budget = threads;
        shared = sharedByTasks;
        if (singles == 0) {
            Nd4j.factory().blas().setMaxThreads(threads);
        }
    }

    /**
     * Runs {@code generation} of one row on one BLAS thread if every matrix of {@code model} has
     * fewer than {@link #ONE_THREAD_BELOW} entries and no Spark budget is set.
     */
    static <T> T oneRow(LlamaModel model, Supplier<T> generation) {
        if (sharedNow() || largestMatrix(model.weights()) >= ONE_THREAD_BELOW) {
            return generation.get();
        }
        enterOne();
        try {
            return generation.get();
        } finally {
            leaveOne();
        }
    }

    private static long largestMatrix(LlamaWeights w) {
        long largest = 0;
        for (INDArray a : w.named().values()) {
            if (a.rank() == 2) largest = Math.max(largest, a.length());
        }
        return largest;
    }

    private static synchronized boolean sharedNow() {
        return shared;
    }

    private static synchronized void enterOne() {
        if (singles++ == 0) {
            if (budget < 0) budget = Nd4j.factory().blas().getMaxThreads();
            if (budget > 1) Nd4j.factory().blas().setMaxThreads(1);
        }
    }

    private static synchronized void leaveOne() {
        if (--singles == 0 && budget > 1) {
            Nd4j.factory().blas().setMaxThreads(budget);
        }
    }
}
