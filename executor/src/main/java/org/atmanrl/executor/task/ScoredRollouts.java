package org.atmanrl.executor.task;

import org.atmanrl.executor.rollout.CotUseCounts;

import java.util.List;
import org.atmanrl.executor.grpo.Advantages;
import org.atmanrl.executor.grpo.GrpoBatch;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.Verdict;

/**
 * One step's rollouts for a shard of prompts, scored: per completion (problem-major, G per
 * problem) its outcome verdict, saliency score (null when not fitted: incorrect or unparsed
 * completion, or saliency off), total reward and advantage; and the batch to compute the policy
 * gradient on; and how the completions use their chain of thought, summed ({@link CotUseCounts});
 * with the mask network, its gradient sums ({@code head}, else null) and its audit; and the
 * policy's forward pass over the batch when it was run already for the gradient (else null), which
 * {@code TaskStep.gradient} consumes and closes.
 */
public record ScoredRollouts(GrpoBatch batch, List<int[]> completions, List<Verdict> verdicts,
                             List<SaliencyScore> saliency, double[] rewards, Advantages advantages,
                             boolean masksCollapsed, StepTimings timings, CotUseCounts cotUse, MaskHeadSums head,
                             MaskAudit audit, ForwardPass policyForward) {

    /** Sums of the per-completion metrics, to be averaged over any number of tasks. */
    public RolloutMetrics metrics() {
        RolloutMetrics m = RolloutMetrics.ZERO;
        for (int i = 0; i < verdicts.size(); i++) {
            SaliencyScore s = saliency.get(i);
            boolean measuredS = s != null && !Double.isNaN(s.sufficiency()); // NaN: not measured (docs/design.md 2.6)
            m = m.plus(new RolloutMetrics(1, verdicts.get(i).correct() ? 1 : 0, verdicts.get(i).parsed() ? 1 : 0,
                    rewards[i], rewards[i] * rewards[i], completions.get(i).length, s == null ? 0 : 1,
                    s == null ? 0 : s.necessity(), s == null ? 0 : s.coverage(), measuredS ? s.sufficiency() : 0,
                    measuredS ? 1 : 0, s == null ? 0 : s.reward(), 0, 0, CotUseCounts.ZERO));
        }
        m = m.plus(new RolloutMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, cotUse));
        return m.withZeroVarianceGroups(advantages.zeroVarianceGroups(), advantages.groups());
    }
}
