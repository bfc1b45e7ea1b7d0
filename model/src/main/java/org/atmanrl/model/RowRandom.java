package org.atmanrl.model;

/**
 * Counter-based random numbers: a draw is a pure function of (seed, key, index), so a rollout's
 * tokens depend only on its own key and never on which other rows share its batch, and a retried
 * Spark task draws exactly what the first attempt drew.
 */
public final class RowRandom {
    private RowRandom() {}

    /** SplitMix64's finaliser: a bijective 64-bit mixer with good avalanche. */
    public static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform double in [0, 1) for draw {@code index} of row {@code key} under {@code seed}. */
    public static double uniform(long seed, long key, long index) {
        return (mix(mix(seed, key), index) >>> 11) * 0x1.0p-53;
    }
}
