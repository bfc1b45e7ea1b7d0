package org.atmanrl.driver.sweep;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * One metric over the finished seeds of a group of points: how many have a value ({@code n}),
 * their mean, their sample standard deviation (divided by n - 1: the mean is estimated from the
 * same values) and the half-width of the 95% confidence interval for the mean,
 * {@code t(0.975, n - 1) * sd / sqrt(n)}, Student's t because sd is itself estimated from a few
 * seeds. What n is too small for is null, never NaN: everything for n = 0, sd and the interval
 * for n = 1.
 */
public record MeanInterval(int n, Double mean, Double sd, Double halfWidth) {
    public static final double CONFIDENCE = 0.95;

    public MeanInterval {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if ((mean == null) != (n == 0) || (sd == null) != (n < 2) || (halfWidth == null) != (n < 2)) {
            throw new IllegalArgumentException("n = " + n + " with mean " + mean + ", sd " + sd + ", half-width " + halfWidth);
        }
    }

    /** The statistics of {@code values}, each a finite number. */
    public static MeanInterval of(double... values) {
        int n = values.length;
        for (double v : values) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("not a finite number: " + v);
        }
        if (n == 0) return new MeanInterval(0, null, null, null);
        // summed as differences from the first value: equal values then give exactly that mean and
        // sd 0, where 0.4 + 0.4 + 0.4 over 3 would be 0.4000000000000001 and sd 6e-17
        double first = values[0], sum = 0;
        for (double v : values) sum += v - first;
        double mean = first + sum / n;
        if (n == 1) return new MeanInterval(1, mean, null, null);
        double squares = 0;
        for (double v : values) squares += (v - mean) * (v - mean);
        double sd = Math.sqrt(squares / (n - 1));
        return new MeanInterval(n, mean, sd, tQuantile(n - 1) * sd / Math.sqrt(n));
    }

    /** The two-sided quantile, t(1 - (1 - CONFIDENCE) / 2, df): 4.3027 for 2 degrees of freedom. */
    static double tQuantile(int degreesOfFreedom) {
        // no random generator: only the quantile is needed. The quantile is a root found to this
        // accuracy; the default, 1e-9, would already show in a CSV cell's 16 digits.
        return new TDistribution(null, degreesOfFreedom, 1e-12).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
    }

    /** The interval's lower end, mean - half-width; null for n < 2. */
    public Double low() {
        return halfWidth == null ? null : mean - halfWidth;
    }

    /** The interval's upper end, mean + half-width; null for n < 2. */
    public Double high() {
        return halfWidth == null ? null : mean + halfWidth;
    }
}
