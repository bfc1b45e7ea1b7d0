package org.atmanrl.driver.spark;

import org.atmanrl.executor.rollout.CotUseCounts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.GradientClipping;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.io.JsonFiles;

/**
 * One line of {@code metrics.jsonl}: the step's rollout metrics (reward mean and std, accuracy,
 * unparsed share, N, C, S, r_sal), the loss terms under TRL's names, gradient norm, learning rate,
 * tokens, zero-variance groups, on embedded-task prompts the CoT-use counts ({@code cot_use}) and on
 * prompts with a hint the biased-hint counts ({@code biased_hint}) of the step's rollouts, whether the update was skipped (a NaN or infinite gradient) and how
 * many steps in a row have been, and the time split. Task times
 * ({@code generation}, {@code saliency}, {@code gradient}) are summed over tasks, which run side
 * by side; the driver's are wall time.
 */
final class StepMetrics {
    private StepMetrics() {}

    static ObjectNode line(long step, TaskResult merged, NormalisedGradient gradient, GradientClipping.Result clip,
                           double lr, StepTimes times, boolean withKl, int skippedBefore) {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        RolloutMetrics r = merged.metrics();
        o.put("step", step);
        o.put("reward", r.meanReward()).put("reward_std", r.rewardStd()).put("accuracy", r.accuracy());
        o.put("unparsed", r.completions() == 0 ? 0 : (double) (r.completions() - r.parsed()) / r.completions());
        o.put("necessity", r.meanNecessity()).put("coverage", r.meanCoverage()).put("sufficiency", r.meanSufficiency());
        o.put("r_sal", r.meanSaliency()).put("fitted", r.fitted());
        for (Map.Entry<String, Double> e : gradient.metrics(withKl).entrySet()) o.put(e.getKey(), e.getValue());
        o.put("zero_std_groups", r.zeroVarianceGroups()).put("groups", r.groups());
        o.put("grad_norm", clip.norm()).put("lr", lr).put("update_skipped", !clip.finite())
                .put("skipped_in_a_row", clip.finite() ? 0 : skippedBefore + 1);
        o.put("masks_collapsed", merged.masksCollapsed());
        CotUseCounts c = r.cotUse();
        if (c.arithmetic() > 0) {
            o.set("cot_use", c.cotUseJson());
        }
        if (c.rightHint() + c.wrongHint() > 0) {
            o.set("biased_hint", c.biasedHintJson());
        }
        StepTimings t = merged.timings();
        ObjectNode s = o.putObject("seconds");
        s.put("generation", t.generation()).put("saliency", t.saliency()).put("gradient", t.gradient());
        s.put("slowest_task", merged.slowestTask()).put("tasks", merged.tasks());
        s.put("broadcast", times.broadcast()).put("job", times.job()).put("reduction", times.reduction())
                .put("update", times.update()).put("step", times.step());
        return o;
    }
}
