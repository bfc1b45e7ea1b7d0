package org.atmanrl.executor.task;

import java.util.List;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoGradient;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.task.Problem;

/**
 * Everything one Spark task does in a training step (DESIGN 3), on its shard of prompts: rollouts,
 * verification, saliency masks and rewards ({@link RolloutScoring}), then the GRPO gradient sums
 * of one on-policy update ({@code mu = 1}: {@code log π_old} is the current policy's, detached).
 * A shard with no prompts returns zero sums.
 */
public final class TaskStep {
    private TaskStep() {}

    /**
     * @param reference the frozen reference policy, needed only when {@code beta > 0}
     * @param runSeed   the run's seed; every draw is keyed by it, the step, the prompt id and the rollout
     */
    public static TaskResult run(LlamaModel policy, LlamaModel reference, Tokenizer tokenizer, int stopToken,
                                 RolloutScoring scoring, List<Problem> problems, long runSeed, long step) {
        GrpoConfig grpo = scoring.grpo();
        if (grpo.mu() != 1) {
            throw new IllegalArgumentException("a task computes one on-policy update (mu = 1), not mu = " + grpo.mu());
        }
        if (grpo.needsReference() && reference == null) {
            throw new IllegalArgumentException("beta > 0 needs the reference model on every task");
        }
        long t0 = System.nanoTime();
        if (problems.isEmpty()) {
            LlamaConfig config = policy.config();
            return new TaskResult(GradientContribution.empty(grpo.aggregation(), config), RolloutMetrics.ZERO,
                    new StepTimings(0, 0, 0), 0, 1, false);
        }
        ScoredRollouts scored = scoring.run(policy, tokenizer, stopToken, problems, runSeed, step);
        long t1 = System.nanoTime();
        double[] refLogProbs = reference == null ? null : GrpoGradient.logProbs(reference, scored.batch());
        GradientContribution gradient = GrpoGradient.compute(policy, grpo, scored.batch(), scored.advantages(), null,
                refLogProbs);
        StepTimings timings = scored.timings().withGradient((System.nanoTime() - t1) / 1e9);
        return new TaskResult(gradient, scored.metrics(), timings, (System.nanoTime() - t0) / 1e9, 1,
                scored.masksCollapsed());
    }
}
