package org.atmanrl.executor.grpo;

import java.io.Serializable;
import java.util.Locale;
import org.atmanrl.model.check.Range;

/**
 * The GRPO knobs of docs/design.md 2.3, in the style of TRL's {@code GRPOConfig}: every alternative
 * the design names is an option, each with its default and where that default comes from. The
 * optimizer side (AdamW, clipping, learning-rate schedule) lives in {@code org.atmanrl.executor.optim}
 * because only the driver uses it.
 *
 * @param groupSize              {@code G}, completions per prompt; default 8 (TRL
 *                               {@code num_generations}). 1 is allowed: every group then has zero
 *                               variance and every advantage is 0 (TRL rejects G &lt; 2; verl instead
 *                               uses the raw reward as the advantage of a lone completion).
 * @param scale                  how advantages are scaled: {@link AdvantageScale#GROUP} (default,
 *                               docs/design.md 2.3, DeepSeekMath,
 *                               TRL {@code scale_rewards="group"}) or {@link AdvantageScale#NONE}
 *                               (Dr. GRPO: {@code r_i − mean r}).
 * @param std                    which standard deviation {@code scale=group} divides by:
 *                               {@link StdEstimator#SAMPLE} (default; {@code torch.std} is the unbiased
 *                               sample std, used by TRL and verl) or {@link StdEstimator#POPULATION}.
 * @param advantageEpsilon       added to the std before dividing; default 1e-4
 *                               (docs/design.md 2.3, TRL).
 * @param epsilonLow             lower clip range: {@code ρ} is clipped below at {@code 1 − epsilonLow};
 *                               default 0.2 (PPO, TRL {@code epsilon}). In [0, 1).
 * @param epsilonHigh            upper clip range: clipped above at {@code 1 + epsilonHigh}; default 0.2
 *                               (TRL {@code epsilon_high} defaults to {@code epsilon}); DAPO's
 *                               "clip-higher" uses 0.28.
 * @param beta                   KL coefficient; default 0.0 (TRL since 0.16; DeepSeekMath used 0.04).
 *                               When 0 no reference model is loaded and no KL is computed; when &gt; 0
 *                               the per-token KL is the k3 estimator {@code exp(ref − new) − (ref − new) − 1}.
 * @param aggregation            how per-token losses become one loss: {@link Aggregation#TOKEN}
 *                               (default, docs/design.md 2.3; TRL {@code loss_type="dapo"}),
 *                               {@link Aggregation#SEQUENCE} (original GRPO, TRL {@code "grpo"}) or
 *                               {@link Aggregation#DR_GRPO} (TRL {@code "dr_grpo"}).
 * @param maxCompletionLength    the generation budget in tokens, the {@code max_len} of the
 *                               {@code dr_grpo} normaliser; default 256 (TRL {@code max_completion_length}).
 * @param dropZeroVarianceGroups whether groups whose rewards are all equal (no signal) are left out of
 *                               the loss and its normaliser; default false (TRL: they stay in, with
 *                               advantage 0, and count in the normaliser). Either way they are counted
 *                               in the metrics.
 * @param mu                     optimizer updates per generated batch ({@code μ} of DeepSeekMath, TRL
 *                               {@code num_iterations}); default 1. With 1 the old policy is the current
 *                               one: {@code log π_old} is {@code log π_θ} detached and {@code ρ = 1}.
 * @param microBatchRows         completions (prompt + completion rows) per forward and backward pass of
 *                               the GRPO gradient and of the old and reference log-probabilities;
 *                               default 0, a task's whole batch in one pass. A task's rows are cut into
 *                               consecutive ranges merged in row order, so peak activation memory grows
 *                               with this, not with prompts x G; the sums are the same up to rounding
 *                               (docs/design.md 6.1, "Micro-batches"). In [0, 2^20].
 */
public record GrpoConfig(
        int groupSize,
        AdvantageScale scale,
        StdEstimator std,
        double advantageEpsilon,
        double epsilonLow,
        double epsilonHigh,
        double beta,
        Aggregation aggregation,
        int maxCompletionLength,
        boolean dropZeroVarianceGroups,
        int mu,
        int microBatchRows) implements Serializable {

    /** How group advantages are scaled (docs/design.md 2.3 {@code scale}). */
    public enum AdvantageScale {
        /** {@code (r_i − mean r) / (std r + advantageEpsilon)}. */
        GROUP,
        /** {@code r_i − mean r} (Dr. GRPO). */
        NONE
    }

    /** The standard deviation of a group's rewards. */
    public enum StdEstimator {
        /** {@code sqrt(Σ (r − mean)² / (G − 1))}, as {@code torch.std}; taken as 0 when G = 1. */
        SAMPLE,
        /** {@code sqrt(Σ (r − mean)² / G)}, as {@code numpy.std}. */
        POPULATION
    }

    /**
     * How per-token losses {@code ℓ_{i,t}} of completions {@code i} with {@code L_i} tokens are
     * combined. Each mode is a sum of per-completion terms divided by an additive normaliser, so
     * Spark tasks return sums and the driver divides once: {@code loss = Σ_i f_i Σ_t ℓ_{i,t} / Z}.
     */
    public enum Aggregation {
        /** {@code f_i = 1}, {@code Z} = number of completion tokens in the global batch. */
        TOKEN,
        /** {@code f_i = 1 / L_i}, {@code Z} = number of completions (mean per completion, then mean). */
        SEQUENCE,
        /**
         * {@code f_i = 1}, {@code Z} = number of completions × {@code maxCompletionLength}.
         * docs/design.md 2.3 writes {@code G · max_len}, the normaliser of one prompt's group;
         * averaging those per-group losses over the batch's prompts gives this (Dr. GRPO's paper
         * averages over prompts too). {@code maxCompletionLength} is the generation budget, a
         * constant, so the normaliser stays additive and does not depend on which completions
         * happen to be long.
         */
        DR_GRPO;

        /** {@code f_i} for a completion of {@code length} tokens (a zero-length one contributes nothing). */
        public double sequenceFactor(int length) {
            return this == SEQUENCE ? 1.0 / Math.max(length, 1) : 1.0;
        }

        /** This completion's contribution to {@code Z}. */
        public double normaliserContribution(int length, int maxCompletionLength) {
            return switch (this) {
                case TOKEN -> length;
                case SEQUENCE -> 1;
                case DR_GRPO -> maxCompletionLength;
            };
        }

        /** The name TRL uses ({@code token} here is TRL's {@code dapo}). */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Upper bounds of the sizes (docs/design.md 4): a group far beyond the 4-64 of the GRPO papers,
     * updates per batch far beyond DeepSeekMath's 1-4, and a step's rollouts and completion tokens
     * ({@link #requireStepBudget}) that an int counts without wrapping.
     */
    public static final int MAX_GROUP_SIZE = 4096, MAX_MU = 1024, MAX_ROLLOUTS_PER_STEP = 1 << 20;
    public static final long MAX_TOKENS_PER_STEP = Integer.MAX_VALUE;
    public static final Range GROUP_SIZE = Range.closed(1, MAX_GROUP_SIZE), ADVANTAGE_EPSILON = Range.above(0),
            EPSILON_LOW = Range.closedOpen(0, 1), EPSILON_HIGH = Range.atLeast(0), BETA = Range.atLeast(0),
            MAX_COMPLETION_LENGTH = Range.closed(1, org.atmanrl.model.SamplingParams.MAX_COMPLETION_TOKENS),
            MU = Range.closed(1, MAX_MU), MICRO_BATCH_ROWS = Range.closed(0, MAX_ROLLOUTS_PER_STEP);

    /**
     * A step's budget: {@code prompts x group} rollouts at most {@link #MAX_ROLLOUTS_PER_STEP} and
     * {@code prompts x group x maxNewTokens} completion tokens at most {@link #MAX_TOKENS_PER_STEP},
     * computed in long arithmetic (each factor is an int, so the product cannot wrap). A fault is a
     * {@link org.atmanrl.model.check.Conflict} naming the config keys.
     */
    public static void requireStepBudget(int prompts, int group, int maxNewTokens) {
        requireStepBudget(prompts, group, maxNewTokens, "prompts_per_step", "grpo.group_size", "sampling.max_new_tokens");
    }

    /** As {@link #requireStepBudget(int, int, int)}, the three named as the caller's user knows them (options, say). */
    public static void requireStepBudget(int prompts, int group, int maxNewTokens, String promptsName, String groupName,
                                         String tokensName) {
        long rollouts = Math.multiplyExact((long) prompts, group);
        if (rollouts > MAX_ROLLOUTS_PER_STEP) {
            throw new org.atmanrl.model.check.Conflict(promptsName + " x " + groupName + " = " + prompts + " x " + group
                    + " = " + rollouts + " rollouts per step; at most " + MAX_ROLLOUTS_PER_STEP, promptsName, groupName);
        }
        long tokens = Math.multiplyExact(rollouts, maxNewTokens);
        if (tokens > MAX_TOKENS_PER_STEP) {
            throw new org.atmanrl.model.check.Conflict(promptsName + " x " + groupName + " x " + tokensName + " = "
                    + prompts + " x " + group + " x " + maxNewTokens + " = " + tokens + " completion tokens per step;"
                    + " at most " + MAX_TOKENS_PER_STEP, promptsName, groupName, tokensName);
        }
    }

    public GrpoConfig {
        GROUP_SIZE.check("groupSize", groupSize);
        if (scale == null) throw new IllegalArgumentException("scale must be group or none, got null");
        if (std == null) throw new IllegalArgumentException("std must be sample or population, got null");
        ADVANTAGE_EPSILON.check("advantageEpsilon", advantageEpsilon);
        EPSILON_LOW.check("epsilonLow", epsilonLow);
        EPSILON_HIGH.check("epsilonHigh", epsilonHigh);
        BETA.check("beta", beta);
        if (aggregation == null) {
            throw new IllegalArgumentException("aggregation must be token, sequence or dr_grpo, got null");
        }
        MAX_COMPLETION_LENGTH.check("maxCompletionLength", maxCompletionLength);
        MU.check("mu", mu);
        MICRO_BATCH_ROWS.check("microBatchRows", microBatchRows);
    }

    /** Every knob at its documented default. */
    public static GrpoConfig defaults() {
        return new GrpoConfig(8, AdvantageScale.GROUP, StdEstimator.SAMPLE, 1e-4, 0.2, 0.2, 0.0,
                Aggregation.TOKEN, 256, false, 1, 0);
    }

    /**
     * Rows per pass for a task of {@code rows} completions: {@link #microBatchRows}, or all of them
     * when it is 0 or not smaller.
     */
    public int rowsPerPass(int rows) {
        return microBatchRows == 0 ? rows : Math.min(rows, microBatchRows);
    }

    /** Whether a task of {@code rows} completions runs its gradient in more than one pass. */
    public boolean splits(int rows) {
        return rowsPerPass(rows) < rows;
    }

    /** Whether the loss has a KL term, i.e. whether reference log-probabilities are needed. */
    public boolean needsReference() {
        return beta > 0;
    }
}
