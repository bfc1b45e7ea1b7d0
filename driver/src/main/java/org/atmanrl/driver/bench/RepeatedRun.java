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
        return alternate(List.of(what), List.of(work)).get(0);
    }

    /**
     * Runs every one of {@code works} in turn, warmup + repeats rounds, so that a change in the
     * machine's load during the measurement falls on all of them alike; one {@link Timings} each,
     * in order. {@code names} name them in progress lines.
     */
    List<Timings> alternate(List<String> names, List<Runnable> works) {
        if (names.size() != works.size()) {
            throw new IllegalArgumentException(names.size() + " names for " + works.size() + " pieces of work");
        }
        for (int i = 1; i <= warmup; i++) {
            for (int w = 0; w < works.size(); w++) {
                double s = once(works.get(w));
                progress.printf("bench: %s warmup %d/%d %.2f s%n", names.get(w), i, warmup, s);
            }
        }
        List<List<Double>> seconds = new ArrayList<>();
        works.forEach(w -> seconds.add(new ArrayList<>(repeats)));
        for (int i = 1; i <= repeats; i++) {
            for (int w = 0; w < works.size(); w++) {
                double s = once(works.get(w));
                seconds.get(w).add(s);
                progress.printf("bench: %s run %d/%d %.2f s%n", names.get(w), i, repeats, s);
            }
        }
        return seconds.stream().map(Timings::new).toList();
    }

    private static double once(Runnable work) {
        System.gc();
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }
}
