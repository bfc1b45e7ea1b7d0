package org.atmanrl.executor.task;

import org.atmanrl.executor.rollout.CotUseCounts;

/**
 * Additive sums over completions (a partition's share of a step's metrics): counts, and sums of
 * reward, squared reward, length and, over the completions whose mask was fitted, of N, C and r_sal;
 * of S over the {@code sufficiencyRows} of them where it was measured (all of them with fitted masks;
 * with the mask network, its training rows, docs/design.md 2.6);
 * and how the completions use their chain of thought ({@link CotUseCounts}).
 */
public record RolloutMetrics(long completions, long correct, long parsed, double rewardSum, double rewardSquareSum,
                             long lengthSum,
                             long fitted, double necessitySum, double coverageSum, double sufficiencySum,
                             long sufficiencyRows, double saliencySum, long zeroVarianceGroups, long groups, CotUseCounts cotUse) {
    public static final RolloutMetrics ZERO = new RolloutMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            CotUseCounts.ZERO);

    public RolloutMetrics {
        java.util.Objects.requireNonNull(cotUse, "cotUse");
    }

    /** Metrics without CoT-use counts. */
    public RolloutMetrics(long completions, long correct, long parsed, double rewardSum, double rewardSquareSum,
                          long lengthSum, long fitted, double necessitySum, double coverageSum, double sufficiencySum,
                          long sufficiencyRows, double saliencySum, long zeroVarianceGroups, long groups) {
        this(completions, correct, parsed, rewardSum, rewardSquareSum, lengthSum, fitted, necessitySum, coverageSum,
                sufficiencySum, sufficiencyRows, saliencySum, zeroVarianceGroups, groups, CotUseCounts.ZERO);
    }

    public RolloutMetrics plus(RolloutMetrics o) {
        return new RolloutMetrics(completions + o.completions, correct + o.correct, parsed + o.parsed,
                rewardSum + o.rewardSum, rewardSquareSum + o.rewardSquareSum, lengthSum + o.lengthSum, fitted + o.fitted, necessitySum + o.necessitySum,
                coverageSum + o.coverageSum, sufficiencySum + o.sufficiencySum, sufficiencyRows + o.sufficiencyRows,
                saliencySum + o.saliencySum,
                zeroVarianceGroups + o.zeroVarianceGroups, groups + o.groups, cotUse.plus(o.cotUse));
    }

    RolloutMetrics withZeroVarianceGroups(long zero, long all) {
        return new RolloutMetrics(completions, correct, parsed, rewardSum, rewardSquareSum, lengthSum, fitted, necessitySum,
                coverageSum, sufficiencySum, sufficiencyRows, saliencySum, zero, all, cotUse);
    }

    public double accuracy() { return ratio(correct, completions); }
    public double meanReward() { return ratio(rewardSum, completions); }
    /** Population standard deviation of the rewards. */
    public double rewardStd() {
        double mean = meanReward();
        return completions == 0 ? 0 : Math.sqrt(Math.max(0, rewardSquareSum / completions - mean * mean));
    }
    public double meanLength() { return ratio(lengthSum, completions); }
    /** Means over fitted (correct) completions. */
    public double meanNecessity() { return ratio(necessitySum, fitted); }
    public double meanCoverage() { return ratio(coverageSum, fitted); }
    /** Mean S over the completions where it was measured. */
    public double meanSufficiency() { return ratio(sufficiencySum, sufficiencyRows); }
    /** Mean r_sal over all completions (0 for incorrect ones, as it enters the reward). */
    public double meanSaliency() { return ratio(saliencySum, completions); }

    private static double ratio(double a, double b) {
        return b == 0 ? 0 : a / b;
    }
}
