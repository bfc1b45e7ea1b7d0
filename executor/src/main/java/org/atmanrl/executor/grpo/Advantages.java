package org.atmanrl.executor.grpo;

/**
 * Group-relative advantages (docs/design.md 2.3). Rewards come grouped per prompt: completions
 * {@code [g·G, (g+1)·G)} share prompt {@code g}.
 *
 * <p>A group whose rewards are all exactly equal has zero variance and carries no signal; its
 * advantages are set to exactly 0 (computing {@code r − mean} would leave rounding noise such as
 * {@code 0.1 − 0.30000000000000004/3}, which {@code / (0 + 1e-4)} magnifies to ~1e-13). Such a group
 * is always counted; with {@link GrpoConfig#dropZeroVarianceGroups()} its completions are also
 * marked as not {@linkplain #included(int) included} in the loss.
 *
 * @param values             advantage per completion, in reward order
 * @param zeroVariance       per group, whether all its rewards are equal
 * @param included           per completion, whether it enters the loss and its normaliser
 * @param zeroVarianceGroups how many groups have zero variance
 */
public record Advantages(double[] values, boolean[] zeroVariance, boolean[] included, int zeroVarianceGroups) {

    public Advantages {
        if (values.length != included.length) {
            throw new IllegalArgumentException(values.length + " advantages but " + included.length + " included flags");
        }
    }

    /** Advantages for {@code rewards} grouped in runs of {@code config.groupSize()}. */
    public static Advantages compute(double[] rewards, GrpoConfig config) {
        int g = config.groupSize();
        if (rewards.length % g != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + g);
        }
        for (int i = 0; i < rewards.length; i++) {
            if (!Double.isFinite(rewards[i])) {
                throw new IllegalArgumentException("reward " + i + " is " + rewards[i] + ": rewards must be finite");
            }
        }
        int groups = rewards.length / g;
        double[] adv = new double[rewards.length];
        boolean[] zero = new boolean[groups];
        boolean[] included = new boolean[rewards.length];
        int zeroCount = 0;
        for (int k = 0; k < groups; k++) {
            int from = k * g;
            boolean allEqual = true;
            for (int i = from + 1; i < from + g; i++) {
                allEqual &= rewards[i] == rewards[from];
            }
            zero[k] = allEqual;
            if (allEqual) {
                zeroCount++;
                for (int i = from; i < from + g; i++) included[i] = !config.dropZeroVarianceGroups();
                continue; // advantages stay exactly 0
            }
            double sum = 0;
            for (int i = from; i < from + g; i++) sum += rewards[i];
            double mean = sum / g;
            double divisor = 1;
            if (config.scale() == GrpoConfig.AdvantageScale.GROUP) {
                divisor = std(rewards, from, g, mean, config.std()) + config.advantageEpsilon();
            }
            for (int i = from; i < from + g; i++) {
                adv[i] = (rewards[i] - mean) / divisor;
                included[i] = true;
            }
        }
        return new Advantages(adv, zero, included, zeroCount);
    }

    /** The standard deviation of {@code g} rewards from {@code from}; 0 for a single reward. */
    static double std(double[] r, int from, int g, double mean, GrpoConfig.StdEstimator estimator) {
        double ss = 0;
        for (int i = from; i < from + g; i++) {
            double d = r[i] - mean;
            ss += d * d;
        }
        int dof = estimator == GrpoConfig.StdEstimator.SAMPLE ? g - 1 : g;
        return dof == 0 ? 0 : Math.sqrt(ss / dof);
    }

    public int completions() { return values.length; }
    public int groups() { return zeroVariance.length; }
    public double value(int completion) { return values[completion]; }
    public boolean included(int completion) { return included[completion]; }

    /** Groups left out of the loss (zero-variance groups when dropping, else none). */
    public int droppedGroups() {
        if (zeroVariance.length == 0) return 0;
        int per = values.length / zeroVariance.length;
        int n = 0;
        for (int k = 0; k < zeroVariance.length; k++) {
            if (!included[k * per]) n++;
        }
        return n;
    }
}
