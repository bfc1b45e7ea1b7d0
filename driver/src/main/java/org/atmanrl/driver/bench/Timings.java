package org.atmanrl.driver.bench;

import java.util.List;

/** Wall-clock seconds of the measured (warm) runs, in the order they ran. */
record Timings(List<Double> seconds) {
    Timings {
        if (seconds.isEmpty()) {
            throw new IllegalArgumentException("no runs were timed");
        }
        seconds = List.copyOf(seconds);
    }

    /** The middle run, or the mean of the two middle runs for an even count. */
    double median() {
        double[] s = seconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** The fastest run: with {@link #max} and the median, what tells noise from a regression across machines. */
    double min() {
        return seconds.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    double max() {
        return seconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
}
