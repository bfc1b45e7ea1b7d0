package org.atmanrl.reward.saliency;

import org.atmanrl.model.check.Conflict;
import org.atmanrl.model.check.Range;

/**
 * Every knob of the attention-saliency reward of docs/design.md 2.2, with the design's defaults.
 *
 * @param steps              K, Adam steps of the mask fit (default 8)
 * @param learningRate       Adam step size on theta (default 0.5)
 * @param theta0             initial theta, m = sigmoid(theta0) (default 0, m = 0.5). The mask
 *                           separates only when {@code theta0 - steps * learningRate <~ -4}
 *                           (docs/design.md 2.2); {@link #floor()} is that sigmoid
 * @param lambda             weight of the sparsity term (1/n) sum m_j (default 1.0)
 * @param epsilon            bias log(epsilon) suppresses the whole CoT for l_none; 0 (the default) cuts
 *                           the CoT out, the exact limit, at a pass over the cells after it
 *                           (docs/design.md 2.2)
 * @param objective          what the mask fit optimises (default preservation of the answer)
 * @param form               how N, C, S make r_sal (default N * C)
 * @param alpha              r = r_out + alpha * r_sal (default 0.5)
 * @param perturbationFactor f of the exhaustive AtMan reference: one token's bias is log f (default
 *                           0.1, as in AtMan)
 * @param maxRowsPerPass     completions per forward/backward pass; larger batches are cut into
 *                           passes of this many rows (default 64)
 * @param mask               where each completion's mask comes from (default fitted, docs/design.md 2.6)
 * @param headRank           r of the mask network's bilinear term (default 16; {@link MaskHead})
 * @param headLearningRate   AdamW step size of the mask network (default 3e-3)
 * @param auditEvery         with the network: every this many steps, also fit masks on a sample and
 *                           log the gap (0 = never; default 10)
 * @param headRows           with the network: correct completions per step whose objective pass trains
 *                           the head (and measures S), shared by the step's tasks and evenly spaced among
 *                           each task's; the others get N and C only (0 = all; default 32;
 *                           docs/design.md 2.6, "What a step pays for")
 */
public record SaliencyConfig(int steps, double learningRate, double theta0, double lambda, double epsilon,
                             MaskObjective objective, RewardForm form, double alpha,
                             double perturbationFactor, int maxRowsPerPass, MaskSource mask, int headRank,
                             double headLearningRate, int auditEvery, int headRows) implements java.io.Serializable {

    /** Where a completion's mask comes from (docs/design.md 2.6). */
    public enum MaskSource {
        /** K Adam steps on a fresh theta per completion (docs/design.md 2.2): the reference. */
        FITTED,
        /** The mask network: theta predicted from the policy's hidden states, trained with the policy. */
        NETWORK
    }

    /** What the mask fit optimises. */
    public enum MaskObjective {
        /** Keep the answer likely with as little of the CoT as possible (default). */
        PRESERVATION,
        /** Deletion game: find the least of the CoT whose removal (mask 1 - m) loses the answer. */
        DELETION
    }

    /** How necessity N, coverage C and sufficiency S combine into r_sal. */
    public enum RewardForm { N_TIMES_C, N, C, S_TIMES_C }

    /** Adam's moment decay rates and denominator term: PyTorch's defaults ("plain Adam"). */
    public static final double BETA1 = 0.9, BETA2 = 0.999, ADAM_EPS = 1e-8;

    /**
     * Upper bounds of the size keys (docs/design.md 4, "Sizes and budgets"): a fit of more than 10,000
     * Adam steps is a typo, not a setting; a step holds at most 2^20 rollouts (the executor's step
     * budget), so no pass or sample needs more rows; an audit period past the longest run (8-digit
     * step numbers) would never audit.
     */
    public static final int MAX_STEPS = 10_000, MAX_ROWS = 1 << 20, MAX_AUDIT_EVERY = 99_999_999;

    public static final Range STEPS = Range.closed(0, MAX_STEPS), LEARNING_RATE = Range.above(0), THETA0 = Range.ANY,
            LAMBDA = Range.atLeast(0), EPSILON = Range.closedOpen(0, 1), ALPHA = Range.atLeast(0),
            PERTURBATION_FACTOR = Range.open(0, 1), MAX_ROWS_PER_PASS = Range.closed(1, MAX_ROWS),
            HEAD_RANK = Range.closed(1, MaskHead.MAX_RANK), HEAD_LEARNING_RATE = Range.above(0),
            AUDIT_EVERY = Range.closed(0, MAX_AUDIT_EVERY), HEAD_ROWS = Range.closed(0, MAX_ROWS);

    public SaliencyConfig {
        STEPS.check("steps", steps);
        LEARNING_RATE.check("learningRate", learningRate);
        THETA0.check("theta0", theta0);
        LAMBDA.check("lambda", lambda);
        EPSILON.check("epsilon", epsilon);
        PERTURBATION_FACTOR.check("perturbationFactor", perturbationFactor);
        ALPHA.check("alpha", alpha);
        if (objective == null || form == null) {
            throw new IllegalArgumentException("objective and form are required");
        }
        MAX_ROWS_PER_PASS.check("maxRowsPerPass", maxRowsPerPass);
        if (mask == null) {
            throw new IllegalArgumentException("mask must be fitted or network, got null");
        }
        HEAD_RANK.check("headRank", headRank);
        HEAD_LEARNING_RATE.check("headLearningRate", headLearningRate);
        AUDIT_EVERY.check("auditEvery", auditEvery);
        HEAD_ROWS.check("headRows", headRows);
        if (mask == MaskSource.NETWORK && auditEvery > 0 && steps == 0) {
            throw new Conflict("the mask network's audit compares it with masks fitted by saliency.steps"
                    + " Adam steps, and steps is 0 (every fitted mask would be sigmoid(theta0)): set saliency.steps"
                    + " (16 with saliency.lr 1.5 is the acceptance test's fit) or saliency.audit_every 0",
                    "saliency.steps", "saliency.mask", "saliency.audit_every");
        }
    }

    public static SaliencyConfig defaults() {
        return new SaliencyConfig(8, 0.5, 0.0, 1.0, 0.0, MaskObjective.PRESERVATION, RewardForm.N_TIMES_C,
                0.5, 0.1, 64, MaskSource.FITTED, 16, 3e-3, 10, 32);
    }

    /** The defaults but the mask fit's K and step size and the reward's alpha: what the one-process commands set. */
    public static SaliencyConfig defaultsWith(int steps, double learningRate, double alpha) {
        SaliencyConfig d = defaults();
        return new SaliencyConfig(steps, learningRate, d.theta0, d.lambda, d.epsilon, d.objective, d.form, alpha,
                d.perturbationFactor, d.maxRowsPerPass, d.mask, d.headRank, d.headLearningRate, d.auditEvery, d.headRows);
    }

    public SaliencyConfig withMaxRowsPerPass(int rows) {
        return new SaliencyConfig(steps, learningRate, theta0, lambda, epsilon, objective, form, alpha,
                perturbationFactor, rows, mask, headRank, headLearningRate, auditEvery, headRows);
    }

    public SaliencyConfig withMask(MaskSource source) {
        return new SaliencyConfig(steps, learningRate, theta0, lambda, epsilon, objective, form, alpha,
                perturbationFactor, maxRowsPerPass, source, headRank, headLearningRate, auditEvery, headRows);
    }

    /** Rows that train the head in each of a step's {@code tasks}: {@code ceil(headRows / tasks)}, 0 = all. */
    public int headRowsPerTask(int tasks) {
        return headRows == 0 ? 0 : (headRows + tasks - 1) / tasks;
    }

    /** Whether S enters r_sal, so that every scored row needs l_mask (docs/design.md 2.2). */
    public boolean rewardNeedsSufficiency() {
        return form == RewardForm.S_TIMES_C;
    }

    /** Whether masks come from the mask network. */
    public boolean network() {
        return mask == MaskSource.NETWORK;
    }

    /**
     * The lowest mask value Adam can reach in K steps, {@code sigmoid(theta0 - K * lr)}: Adam moves
     * each theta by about lr per step. Masks separate only when this is <~ 0.03, and on a confident
     * model far lower (docs/design.md 2.2, "Where the defaults are weak").
     */
    public double floor() {
        return 1 / (1 + Math.exp(-(theta0 - steps * learningRate)));
    }
}
