package org.atmanrl.executor.grpo;

/**
 * The per-token GRPO objective of docs/design.md 2.3, the one place it is written down. For a
 * completion token with log-probabilities {@code ℓ_θ} (current policy), {@code ℓ_old} (the policy
 * that generated it), optionally {@code ℓ_ref} (reference model), and its completion's advantage
 * {@code A}:
 *
 * <pre>
 *   ρ      = exp(ℓ_θ − ℓ_old)
 *   loss   = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·k3
 *   k3     = exp(ℓ_ref − ℓ_θ) − (ℓ_ref − ℓ_θ) − 1
 * </pre>
 *
 * and its derivative with respect to {@code ℓ_θ} (with {@code ℓ_old}, {@code ℓ_ref} and {@code A}
 * held fixed):
 *
 * <pre>
 *   d loss / d ℓ_θ = −ρ·A + β·(1 − exp(ℓ_ref − ℓ_θ))   where the token is not clipped
 *                  =        β·(1 − exp(ℓ_ref − ℓ_θ))   where it is clipped
 * </pre>
 *
 * A token is clipped exactly when the clipped branch is the strictly smaller one inside the min,
 * i.e. {@code ρ < 1 − ε_low} with {@code A < 0} ("low") or {@code ρ > 1 + ε_high} with {@code A > 0}
 * ("high"); these are also TRL's {@code clip_ratio/low_mean} and {@code clip_ratio/high_mean}. In
 * every other case {@code min} picks {@code ρ·A}. At a tie ({@code ρ} exactly on a bound) both
 * branches have the same value and the same derivative {@code ρ·A}, because PyTorch's
 * {@code clamp} passes the gradient at its bounds; such a token counts as not clipped.
 */
public final class GrpoObjective {
    private GrpoObjective() {}

    /**
     * One token's loss, its derivative and what the metrics need.
     *
     * @param loss          the token's loss (policy term plus {@code β·k3})
     * @param dLossDLogProb {@code d loss / d ℓ_θ}
     * @param ratio         {@code ρ}
     * @param k3            the KL estimate (0 when {@code β = 0}: it is not computed then)
     * @param clippedLow    {@code ρ < 1 − ε_low} and {@code A < 0}: the policy term has no gradient
     * @param clippedHigh   {@code ρ > 1 + ε_high} and {@code A > 0}: the policy term has no gradient
     */
    public record TokenTerm(double loss, double dLossDLogProb, double ratio, double k3,
                            boolean clippedLow, boolean clippedHigh) {
        public boolean clipped() {
            return clippedLow || clippedHigh;
        }
    }

    /** {@link #token(double, double, double, double, double, double, double)} with the config's ε and β. */
    public static TokenTerm token(GrpoConfig config, double logProb, double oldLogProb, double refLogProb,
                                  double advantage) {
        return token(logProb, oldLogProb, refLogProb, advantage, config.epsilonLow(), config.epsilonHigh(),
                config.beta());
    }

    /**
     * @param logProb    {@code ℓ_θ}
     * @param oldLogProb {@code ℓ_old}
     * @param refLogProb {@code ℓ_ref}; ignored (may be NaN) when {@code beta == 0}
     */
    public static TokenTerm token(double logProb, double oldLogProb, double refLogProb, double advantage,
                                  double epsilonLow, double epsilonHigh, double beta) {
        double ratio = Math.exp(logProb - oldLogProb);
        double lower = 1 - epsilonLow, upper = 1 + epsilonHigh;
        boolean clippedLow = ratio < lower && advantage < 0;
        boolean clippedHigh = ratio > upper && advantage > 0;
        double unclipped = ratio * advantage;
        double clipped = Math.min(Math.max(ratio, lower), upper) * advantage;
        double loss = -Math.min(unclipped, clipped);
        double derivative = (clippedLow || clippedHigh) ? 0 : -unclipped;
        double k3 = 0;
        if (beta != 0) {
            double delta = refLogProb - logProb;
            double e = Math.exp(delta);
            k3 = e - delta - 1;
            loss += beta * k3;
            derivative += beta * (1 - e);
        }
        return new TokenTerm(loss, derivative, ratio, k3, clippedLow, clippedHigh);
    }
}
