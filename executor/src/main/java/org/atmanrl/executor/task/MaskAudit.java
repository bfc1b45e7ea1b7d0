package org.atmanrl.executor.task;

import java.util.List;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * The audit of the mask network against the fitted mask (docs/design.md 2.6), as additive sums:
 * on a sample of a step's correct completions, both masks and the mask objective under each. A
 * user sees the head lag (a large gap, a low Spearman correlation) or the policy game it (the
 * network's objective far above the fitted one's).
 *
 * @param rows               completions audited
 * @param tokens             CoT tokens over them
 * @param absGapSum          sum over tokens of |m_network - m_fitted|
 * @param ranked             rows whose Spearman correlation is defined (neither mask constant)
 * @param spearmanSum        sum of the per-row Spearman correlations over those
 * @param objectiveNetwork   sum over rows of the objective under the network's mask
 * @param objectiveFitted    sum over rows of the objective under the fitted mask
 */
public record MaskAudit(long rows, long tokens, double absGapSum, long ranked, double spearmanSum,
                        double objectiveNetwork, double objectiveFitted) {
    public static final MaskAudit ZERO = new MaskAudit(0, 0, 0, 0, 0, 0, 0);

    /** Per row the two masks over its CoT and the objective under each. */
    public static MaskAudit of(List<double[]> network, List<double[]> fitted, double[] objectiveNetwork,
                               double[] objectiveFitted) {
        MaskAudit a = ZERO;
        for (int r = 0; r < network.size(); r++) {
            double[] n = network.get(r), f = fitted.get(r);
            double gap = 0;
            for (int j = 0; j < n.length; j++) gap += Math.abs(n[j] - f[j]);
            double rho = n.length < 2 ? Double.NaN : new SpearmansCorrelation().correlation(n, f);
            boolean ranked = Double.isFinite(rho);
            a = a.plus(new MaskAudit(1, n.length, gap, ranked ? 1 : 0, ranked ? rho : 0, objectiveNetwork[r],
                    objectiveFitted[r]));
        }
        return a;
    }

    public MaskAudit plus(MaskAudit o) {
        return new MaskAudit(rows + o.rows, tokens + o.tokens, absGapSum + o.absGapSum, ranked + o.ranked,
                spearmanSum + o.spearmanSum, objectiveNetwork + o.objectiveNetwork, objectiveFitted + o.objectiveFitted);
    }

    public double meanAbsGap() { return tokens == 0 ? Double.NaN : absGapSum / tokens; }
    public double meanSpearman() { return ranked == 0 ? Double.NaN : spearmanSum / ranked; }
    public double meanObjectiveNetwork() { return rows == 0 ? Double.NaN : objectiveNetwork / rows; }
    public double meanObjectiveFitted() { return rows == 0 ? Double.NaN : objectiveFitted / rows; }
}
