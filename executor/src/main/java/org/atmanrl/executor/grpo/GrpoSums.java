package org.atmanrl.executor.grpo;

import java.io.Serializable;

/**
 * The additive scalars of one task's GRPO loss: the loss sum {@code Σ_i f_i Σ_t ℓ_{i,t}}, its
 * normaliser contribution {@code Z} (see {@link GrpoConfig.Aggregation}), counts and metric sums.
 * Tasks' sums are added ({@link #plus}) and divided once on the driver, so the result does not
 * depend on how completions were split into tasks. Dropped completions (zero-variance groups when
 * dropping) contribute to none of the token and completion sums, only to the group counts.
 *
 * <p>A plain immutable class with primitive fields (no record), so that Kryo's field serializer,
 * which Spark uses, can write and read it as well as Java serialization can.
 */
public final class GrpoSums implements Serializable {
    private static final long serialVersionUID = 1L;

    /** {@code Σ_i f_i Σ_t ℓ_{i,t}} over included completions. */
    private final double loss;
    /** The aggregation's normaliser contribution {@code Z}. */
    private final double normaliser;
    /** Included completion tokens. */
    private final long tokens;
    /** Included completions. */
    private final long completions;
    /** {@code Σ ρ} over included tokens. */
    private final double ratio;
    /** {@code Σ k3} over included tokens (0 when {@code β = 0}). */
    private final double k3;
    private final long clippedLow;
    private final long clippedHigh;
    private final long groups;
    private final long zeroVarianceGroups;
    private final long droppedGroups;

    public GrpoSums(double loss, double normaliser, long tokens, long completions, double ratio, double k3,
                    long clippedLow, long clippedHigh, long groups, long zeroVarianceGroups, long droppedGroups) {
        this.loss = loss;
        this.normaliser = normaliser;
        this.tokens = tokens;
        this.completions = completions;
        this.ratio = ratio;
        this.k3 = k3;
        this.clippedLow = clippedLow;
        this.clippedHigh = clippedHigh;
        this.groups = groups;
        this.zeroVarianceGroups = zeroVarianceGroups;
        this.droppedGroups = droppedGroups;
    }

    /** The identity of {@link #plus}. */
    public static GrpoSums zero() {
        return new GrpoSums(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** Field-wise {@code this + other}, always in that order. */
    public GrpoSums plus(GrpoSums o) {
        return new GrpoSums(loss + o.loss, normaliser + o.normaliser, tokens + o.tokens,
                completions + o.completions, ratio + o.ratio, k3 + o.k3, clippedLow + o.clippedLow,
                clippedHigh + o.clippedHigh, groups + o.groups, zeroVarianceGroups + o.zeroVarianceGroups,
                droppedGroups + o.droppedGroups);
    }

    public double loss() { return loss; }
    public double normaliser() { return normaliser; }
    public long tokens() { return tokens; }
    public long completions() { return completions; }
    public double ratio() { return ratio; }
    public double k3() { return k3; }
    public long clippedLow() { return clippedLow; }
    public long clippedHigh() { return clippedHigh; }
    public long groups() { return groups; }
    public long zeroVarianceGroups() { return zeroVarianceGroups; }
    public long droppedGroups() { return droppedGroups; }

    /**
     * The divisor the driver uses: {@code Z}, or 1 when nothing was included ({@code Z = 0}), so an
     * all-dropped batch yields loss 0 and a zero gradient rather than NaN (TRL clamps its token count
     * to at least 1 the same way).
     */
    public double divisor() {
        return normaliser > 0 ? normaliser : 1;
    }

    /** The aggregated loss {@code Σ f·ℓ / Z}. */
    public double meanLoss() { return loss / divisor(); }
    /** Mean {@code ρ} over included tokens (NaN without tokens). */
    public double meanRatio() { return ratio / tokens; }
    /** Mean k3 over included tokens (NaN without tokens). */
    public double meanK3() { return k3 / tokens; }
    /** Fraction of included tokens whose policy term was clipped (low or high). */
    public double clipFraction() { return (double) (clippedLow + clippedHigh) / tokens; }
    public double lowClipFraction() { return (double) clippedLow / tokens; }
    public double highClipFraction() { return (double) clippedHigh / tokens; }
    /** Fraction of groups whose rewards were all equal (TRL's {@code frac_reward_zero_std}). */
    public double zeroVarianceFraction() { return (double) zeroVarianceGroups / groups; }

    @Override
    public String toString() {
        return "GrpoSums[loss=" + loss + ", normaliser=" + normaliser + ", tokens=" + tokens + ", completions="
                + completions + ", ratio=" + ratio + ", k3=" + k3 + ", clippedLow=" + clippedLow + ", clippedHigh="
                + clippedHigh + ", groups=" + groups + ", zeroVarianceGroups=" + zeroVarianceGroups
                + ", droppedGroups=" + droppedGroups + "]";
    }
}
