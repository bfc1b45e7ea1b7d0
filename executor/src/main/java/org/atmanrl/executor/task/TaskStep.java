package org.atmanrl.executor.task;

import java.util.List;
import java.util.Map;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoGradient;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.RowRandom;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraDropout;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.data.Problem;

/**
 * Everything one Spark task does in a training step (docs/design.md 3), on its shard of prompts, in
 * two halves: {@link #prepare} (rollouts, verification, saliency masks, rewards and advantages, see
 * {@link RolloutScoring}, and the log-probabilities the loss compares against), then
 * {@link #gradient}, the GRPO gradient sums of one update. With {@code mu = 1} a task does both
 * at once ({@link #run}); with {@code mu > 1} the prepared batch is kept and each further update
 * computes only the gradient, under the updated policy.
 */
public final class TaskStep {
    /** Keeps dropout's draws apart from the sampling's, which are keyed by (seed, step) too. */
    private static final long DROPOUT_STREAM = 0x4c6f5241_44726f70L;

    private TaskStep() {}

    /**
     * A shard's scored rollouts and the fixed log-probabilities of its tokens: {@code log π_old}
     * (null when {@code mu = 1}: the current policy's, detached) and {@code log π_ref} (null
     * unless {@code beta > 0}), with the seconds those two took, and each row's stable key (what
     * LoRA dropout is keyed by). Empty shards have a null batch.
     */
    public record Prepared(ScoredRollouts scored, double[] oldLogProbs, double[] refLogProbs, double seconds,
                           long[] rowKeys) {
        public boolean empty() {
            return scored == null;
        }
    }

    /** Rollouts and rewards of {@code problems} under {@code policy}, the policy at the step's start. */
    public static Prepared prepare(LlamaModel policy, MaskHead head, LlamaModel reference, Tokenizer tokenizer,
                                   int stopToken, RolloutScoring scoring, List<Problem> problems, long runSeed,
                                   long step) {
        GrpoConfig grpo = scoring.grpo();
        if (grpo.needsReference() && reference == null) {
            throw new IllegalArgumentException("beta > 0 needs the reference model on every task");
        }
        if (problems.isEmpty()) {
            return new Prepared(null, null, null, 0, new long[0]);
        }
        // on-policy (mu 1): the gradient follows on this policy, so its forward pass runs now and the
        // mask network reads it (docs/design.md 2.6); not when the gradient runs in micro-batches,
        // whose passes cannot all be kept until the rewards are in (docs/design.md 6.1)
        // nor with LoRA dropout, whose gradient pass drops and so is not the scoring pass (docs/design.md 3.4)
        boolean keepForward = grpo.mu() == 1 && !grpo.splits(problems.size() * grpo.groupSize())
                && !dropsOut(policy);
        ScoredRollouts scored = scoring.run(policy, head, tokenizer, stopToken, problems, runSeed, step, keepForward);
        long t1 = System.nanoTime();
        double[] ref = reference == null ? null : GrpoGradient.logProbs(reference, scored.batch(), grpo);
        double[] old = grpo.mu() > 1 ? GrpoGradient.logProbs(policy, scored.batch(), grpo) : null;
        return new Prepared(scored, old, ref, (System.nanoTime() - t1) / 1e9,
                Rollouts.rowKeys(problems, grpo.groupSize()));
    }

    /**
     * The gradient sums of one update on a prepared shard under the current {@code policy};
     * {@code withRollouts} adds the shard's rollout metrics and generation/saliency times (once
     * per step, on the first update).
     */
    public static TaskResult gradient(LlamaModel policy, GrpoConfig grpo, Prepared prepared, boolean withRollouts) {
        return gradient(policy, grpo, prepared, withRollouts, 0);
    }

    /**
     * As above; with LoRA dropout (a policy whose adapters have {@code lora_dropout > 0}) the mask
     * is drawn from {@code dropoutSeed} and each row's stable key, so a retried task draws the same
     * mask. The caller derives the seed from the run seed and the optimizer update
     * ({@link #dropoutSeed}).
     */
    public static TaskResult gradient(LlamaModel policy, GrpoConfig grpo, Prepared prepared, boolean withRollouts,
                                      long dropoutSeed) {
        long t0 = System.nanoTime();
        if (prepared.empty()) {
            LlamaConfig config = policy.config();
            Map<String, long[]> shapes = policy.adapters() == null ? LlamaWeights.shapes(config)
                    : LoraAdapters.shapes(config, policy.adapters().config());
            return new TaskResult(GradientContribution.empty(grpo.aggregation(), shapes), RolloutMetrics.ZERO,
                    new StepTimings(0, 0, 0), 0, 1, false);
        }
        ScoredRollouts scored = prepared.scored();
        LoraDropout dropout = dropsOut(policy) ? new LoraDropout(dropoutSeed, prepared.rowKeys()) : null;
        GradientContribution g = scored.policyForward() != null && withRollouts
                ? GrpoGradient.compute(scored.policyForward(), grpo, scored.batch(), scored.advantages(),
                        prepared.oldLogProbs(), prepared.refLogProbs())
                : GrpoGradient.compute(policy, grpo, scored.batch(), scored.advantages(), prepared.oldLogProbs(),
                        prepared.refLogProbs(), dropout);
        double seconds = (System.nanoTime() - t0) / 1e9 + prepared.seconds();
        StepTimings timings = withRollouts ? scored.timings().withGradient(seconds) : new StepTimings(0, 0, seconds);
        return new TaskResult(g, withRollouts ? scored.metrics() : RolloutMetrics.ZERO, timings, timings.total(), 1,
                withRollouts && scored.masksCollapsed(), withRollouts ? scored.head() : null,
                withRollouts ? scored.audit() : MaskAudit.ZERO);
    }

    /** The seed of LoRA dropout in optimizer update {@code update} (0-based) of the run of {@code runSeed}. */
    public static long dropoutSeed(long runSeed, long update) {
        return RowRandom.mix(RowRandom.mix(runSeed, DROPOUT_STREAM), update);
    }

    /** Whether the policy's gradient passes drop adapter inputs. */
    private static boolean dropsOut(LlamaModel policy) {
        return policy.adapters() != null && policy.adapters().config().dropout() > 0;
    }

    /** Both halves: one on-policy update ({@code mu = 1}). */
    public static TaskResult run(LlamaModel policy, MaskHead head, LlamaModel reference, Tokenizer tokenizer,
                                 int stopToken, RolloutScoring scoring, List<Problem> problems, long runSeed, long step) {
        Prepared p = prepare(policy, head, reference, tokenizer, stopToken, scoring, problems, runSeed, step);
        return gradient(policy, scoring.grpo(), p, true);
    }
}
