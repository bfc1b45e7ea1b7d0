package org.atmanrl.reward.saliency;

/**
 * The saliency quantities of docs/design.md 2.2, each in one place. {@code l*} are answer
 * log-likelihoods (sums of log p over the answer tokens): {@code lFull} with no bias, {@code lNone}
 * with the whole CoT suppressed, {@code lMask} with the fitted mask.
 */
public final class SaliencyTerms {
    private SaliencyTerms() {
    }

    /** N = 1 - exp(min(0, l_none - l_full)): the share of the answer's probability lost without the CoT. */
    public static double necessity(double lNone, double lFull) {
        return 1 - Math.exp(Math.min(0, lNone - lFull));
    }

    /** C = (1/n) sum_j m*_j: the share of the CoT that the answer needs. */
    public static double coverage(double[] mask) {
        if (mask.length == 0) {
            return 0;
        }
        double s = 0;
        for (double m : mask) s += m;
        return s / mask.length;
    }

    /** S = exp(min(0, l_mask - l_full)): how well the kept tokens preserve the answer. */
    public static double sufficiency(double lMask, double lFull) {
        return Math.exp(Math.min(0, lMask - lFull));
    }

    /** r_sal in the configured form; 0 for an incorrect completion. */
    public static double reward(SaliencyConfig.RewardForm form, double n, double c, double s) {
        return switch (form) {
            case N_TIMES_C -> n * c;
            case N -> n;
            case C -> c;
            case S_TIMES_C -> s * c;
        };
    }

    /**
     * The mask objective of one row (docs/design.md 2.2), what both the fit and the mask network
     * minimise: {@code -(1/|a|) l_b + lambda C} for preservation, where {@code l_b} is the answer
     * log-likelihood under {@code b = log m}; {@code +(1/|a|) l_b + lambda C} for deletion, under
     * {@code b = log(1 - m)}.
     */
    public static double objective(SaliencyConfig.MaskObjective objective, double lBiased, int answerLength,
                                   double coverage, double lambda) {
        double sign = objective == SaliencyConfig.MaskObjective.DELETION ? 1 : -1;
        return sign * lBiased / answerLength + lambda * coverage;
    }

    /** r = r_out + alpha * r_sal. */
    public static double total(double outcome, double saliency, double alpha) {
        return outcome + alpha * saliency;
    }
}
