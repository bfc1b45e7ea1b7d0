package org.atmanrl.executor.task;

import org.atmanrl.executor.rollout.CotUseCounts;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.executor.grpo.Advantages;
import org.atmanrl.executor.grpo.GrpoBatch;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.RowRandom;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.saliency.SharedForward;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.saliency.SaliencyTerms;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;

/**
 * The first half of what one task does in a step (docs/design.md 3): generate G completions per
 * prompt, verify them, fit the AtMan mask on the correct ones, combine
 * {@code r = r_out + alpha r_sal} and turn rewards into group advantages. The second half is
 * {@code GrpoGradient.compute} on the returned batch.
 *
 * @param saliencyOn fit masks (the reward's saliency term, or only its metrics when alpha is 0)
 * @param tasks      tasks per step (the step's partitions), which share the step's
 *                   {@code saliency.head_rows}
 */
public record RolloutScoring(GrpoConfig grpo, SaliencyConfig saliency, boolean saliencyOn, SamplingParams sampling,
                             int maxRowsPerPass, int tasks) implements java.io.Serializable {
    public RolloutScoring {
        if (tasks < 1) {
            throw new IllegalArgumentException("tasks per step must be >= 1, got " + tasks);
        }
    }

    /**
     * @param head the mask network when {@code saliency.mask} is network (docs/design.md 2.6), else null
     */
    public ScoredRollouts run(LlamaModel policy, MaskHead head, Tokenizer tokenizer, int stopToken,
                              List<Problem> problems, long runSeed, long step) {
        return run(policy, head, tokenizer, stopToken, problems, runSeed, step, false);
    }

    /**
     * @param keepForward run the GRPO gradient's forward pass of the policy now and keep it in the
     *                    result for {@code GrpoGradient}: the mask network reads its log-probabilities
     *                    and hidden states instead of a pass of its own (on-policy updates only, mu 1,
     *                    with the task's rows in one pass: a gradient in micro-batches runs its own
     *                    passes later and the mask network its own now, docs/design.md 6.1)
     */
    public ScoredRollouts run(LlamaModel policy, MaskHead head, Tokenizer tokenizer, int stopToken,
                              List<Problem> problems, long runSeed, long step, boolean keepForward) {
        if (saliencyOn && saliency.network() != (head != null)) {
            throw new IllegalArgumentException("saliency.mask " + saliency.mask().name().toLowerCase()
                    + (head == null ? " needs the mask network" : " takes no mask network"));
        }
        long t0 = System.nanoTime();
        List<int[]> completions = Rollouts.generate(policy, problems, grpo.groupSize(), RowRandom.mix(runSeed, step),
                sampling, maxRowsPerPass);
        int n = completions.size();
        List<int[]> prompts = new ArrayList<>(n);
        List<Verdict> verdicts = new ArrayList<>(n);
        CotUseCounts cotUse = CotUseCounts.ZERO;
        for (int i = 0; i < n; i++) {
            Problem p = problems.get(i / grpo.groupSize());
            prompts.add(p.promptIds());
            String text = tokenizer.decode(Rollouts.withoutStop(completions.get(i), stopToken));
            Verdict v = p.verify(text);
            verdicts.add(v);
            cotUse = cotUse.plus(CotUseCounts.of(p, text, v));
        }
        GrpoBatch batch = GrpoBatch.of(prompts, completions);
        long t1 = System.nanoTime();
        ForwardPass forward = keepForward ? policy.forward(batch.tokens(), null) : null;
        SharedForward shared = forward == null || head == null ? null
                : new SharedForward(forward);
        long tForward = System.nanoTime();

        List<SaliencyScore> scores = java.util.Collections.nCopies(n, null);
        boolean collapsed = false;
        MaskHeadSums headSums = null;
        MaskAudit audit = MaskAudit.ZERO;
        if (saliencyOn) {
            boolean auditNow = saliency.auditEvery() > 0 && step % saliency.auditEvery() == 0;
            CorrectCompletionSaliency.Scores fitted = CorrectCompletionSaliency.score(policy, saliency, head, auditNow,
                    saliency.headRowsPerTask(tasks), tokenizer, problems, grpo.groupSize(), completions, verdicts, shared);
            scores = fitted.perCompletion();
            collapsed = fitted.collapsed();
            headSums = fitted.head();
            audit = fitted.audit();
        }
        long t2 = System.nanoTime();

        double[] rewards = rewards(verdicts, scores, saliency.alpha());
        Advantages advantages = Advantages.compute(rewards, grpo);
        // the kept forward pass is the gradient's, and is timed as the gradient's
        return new ScoredRollouts(batch, completions, verdicts, scores, rewards, advantages, collapsed,
                new StepTimings((t1 - t0) / 1e9, (t2 - tForward) / 1e9, (tForward - t1) / 1e9), cotUse, headSums,
                audit, forward);
    }

    /**
     * {@code r = r_out + alpha r_sal} per completion, r_sal 0 where no mask was fitted
     * (docs/design.md 2.2). Within a group whose r_out are all equal (all correct), the r_sal
     * spread is then the group's only spread, and group scaling makes it unit-scale advantages: the
     * way alpha acts on a group of correct completions that differ in how they use their CoT
     * (docs/design.md 2.5).
     */
    public static double[] rewards(List<Verdict> verdicts, List<SaliencyScore> scores, double alpha) {
        double[] rewards = new double[verdicts.size()];
        for (int i = 0; i < rewards.length; i++) {
            double sal = scores.get(i) == null ? 0 : scores.get(i).reward();
            rewards[i] = SaliencyTerms.total(verdicts.get(i).reward(), sal, alpha);
        }
        return rewards;
    }
}
