package org.atmanrl.driver.step;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.atmanrl.executor.task.MaskAudit;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.io.JsonFiles;

/**
 * One line of {@code metrics.jsonl}, the one schema of every way of running a step: the step's
 * rollout metrics (reward mean and std, accuracy, unparsed share, N, C, S, r_sal), the loss terms
 * under TRL's names, gradient norm, learning rate, tokens, zero-variance groups, on embedded-task
 * prompts the CoT-use counts ({@code cot_use}) and on prompts with a hint the biased-hint counts
 * ({@code biased_hint}) of the step's rollouts, whether the update was skipped (a NaN or infinite
 * gradient) and how many steps in a row have been, the mask network's update and audit when there
 * is one, and the time split. Task times ({@code generation}, {@code saliency}, {@code gradient})
 * are summed over tasks, which run side by side; the others are wall time ({@link DriverTimes}).
 */
public final class StepMetrics {
    private StepMetrics() {}

    public static ObjectNode line(StepOutcome outcome, boolean withKl) {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        TaskResult merged = outcome.rollouts();
        RolloutMetrics r = merged.metrics();
        o.put("step", outcome.step());
        o.put("reward", r.meanReward()).put("reward_std", r.rewardStd()).put("accuracy", r.accuracy());
        o.put("unparsed", r.completions() == 0 ? 0 : (double) (r.completions() - r.parsed()) / r.completions());
        o.put("necessity", r.meanNecessity()).put("coverage", r.meanCoverage()).put("sufficiency", r.meanSufficiency());
        o.put("r_sal", r.meanSaliency()).put("fitted", r.fitted());
        for (Map.Entry<String, Double> e : outcome.gradient().metrics(withKl).entrySet()) o.put(e.getKey(), e.getValue());
        o.put("zero_std_groups", r.zeroVarianceGroups()).put("groups", r.groups());
        o.put("grad_norm", outcome.update().gradNorm()).put("lr", outcome.update().lr())
                .put("update_skipped", outcome.update().skipped())
                .put("skipped_in_a_row", outcome.streak().inARow());
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
        DriverTimes times = outcome.times();
        s.put("broadcast", times.broadcast()).put("job", times.job()).put("reduction", times.reduction())
                .put("update", times.update()).put("step", times.step());
        if (outcome.head() != null) {
            o.set("mask_head", head(outcome.head()));
            if (merged.audit().rows() > 0) o.set("mask_audit", audit(merged.audit()));
        }
        return o;
    }

    /** The {@code mask_head} object. */
    private static ObjectNode head(HeadUpdate h) {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        JsonFiles.putNumberOrNull(o, "objective", h.objective());
        o.put("grad_norm", h.gradNorm()).put("rows", h.rows()).put("lr", h.lr()).put("update_skipped", h.skipped());
        return o;
    }

    /** The {@code mask_audit} object. */
    private static ObjectNode audit(MaskAudit a) {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        o.put("rows", a.rows()).put("ranked_rows", a.ranked());
        JsonFiles.putNumberOrNull(o, "mean_abs_gap", a.meanAbsGap());
        JsonFiles.putNumberOrNull(o, "spearman", a.meanSpearman());
        JsonFiles.putNumberOrNull(o, "objective_network", a.meanObjectiveNetwork());
        JsonFiles.putNumberOrNull(o, "objective_fitted", a.meanObjectiveFitted());
        return o;
    }
}
