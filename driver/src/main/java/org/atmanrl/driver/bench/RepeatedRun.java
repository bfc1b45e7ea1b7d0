package org.atmanrl.driver.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Times a piece of work: warm-up runs first (discarded), then the measured ones, with a progress
 * line on stderr after each so that a long run shows it is alive.
 *
 * <p>{@code System.gc()} runs before every run, outside the clock: ND4J frees an off-heap buffer
 * that nobody closed only when its Java object is collected, and garbage left by one run (or one
 * measurement) must not slow the next.
 */
final class RepeatedRun {
    private final int warmup;
    private final int repeats;
    private final PrintWriter progress;

    RepeatedRun(int warmup, int repeats, PrintWriter progress) {
        if (warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException("need warmup >= 0 and repeats >= 1, got " + warmup + ", " + repeats);
        }
        this.warmup = warmup;
        this.repeats = repeats;
        this.progress = progress;
    }

    /** The same schedule with at least the given counts. */
    RepeatedRun atLeast(int minWarmup, int minRepeats) {
        return new RepeatedRun(Math.max(warmup, minWarmup), Math.max(repeats, minRepeats), progress);
    }

    int warmup() { return warmup; }
    int repeats() { return repeats; }

    /** Runs {@code work} warmup + repeats times; {@code what} names it in progress lines. */
    Timings time(String what, Runnable work) {
        for (int i = 1; i <= warmup; i++) {
            double s = once(work);
            progress.printf("bench: %s warmup %d/%d %.2f s%n", what, i, warmup, s);
        }
        List<Double> seconds = new ArrayList<>(repeats);
        for (int i = 1; i <= repeats; i++) {
            double s = once(work);
            seconds.add(s);
            progress.printf("bench: %s run %d/%d %.2f s%n", what, i, repeats, s);
        }
        return new Timings(seconds);
    }

    private static double once(Runnable work) {
        System.gc();
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }
}
