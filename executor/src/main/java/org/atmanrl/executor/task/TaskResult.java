package org.atmanrl.executor.task;

import java.util.List;
import java.util.Objects;
import org.atmanrl.executor.grpo.GradientContribution;

/**
 * What one Spark task returns for a step, in the manner of an MLlib aggregator: a small additive
 * value. The gradient and loss sums ({@link GradientContribution}), the rollout metric sums, the
 * seconds the task spent in each phase, and whether its mask fits collapsed. The driver
 * {@linkplain #sum sums} the tasks in partition order.
 *
 * @param timings         seconds summed over the tasks merged into this one
 * @param slowestTask     the longest single task's seconds (what a step waits for)
 * @param tasks           how many task results were merged into this one
 * @param masksCollapsed  whether any merged task's fitted masks collapsed (the warning of
 *                        docs/design.md 2.2)
 * @param head            the mask network's gradient sums (docs/design.md 2.6), null without it
 * @param audit           the mask network's audit sums (zero without one)
 */
public record TaskResult(GradientContribution gradient, RolloutMetrics metrics, StepTimings timings,
                         double slowestTask, int tasks, boolean masksCollapsed, MaskHeadSums head, MaskAudit audit) {
    public TaskResult {
        Objects.requireNonNull(gradient, "gradient");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(timings, "timings");
        Objects.requireNonNull(audit, "audit");
    }

    /** Without the mask network. */
    public TaskResult(GradientContribution gradient, RolloutMetrics metrics, StepTimings timings, double slowestTask,
                      int tasks, boolean masksCollapsed) {
        this(gradient, metrics, timings, slowestTask, tasks, masksCollapsed, null, MaskAudit.ZERO);
    }

    /** {@code this + other}, gradients added element-wise in that order. */
    public TaskResult merge(TaskResult other) {
        return new TaskResult(gradient.merge(other.gradient), metrics.plus(other.metrics), timings.plus(other.timings),
                Math.max(slowestTask, other.slowestTask), tasks + other.tasks, masksCollapsed || other.masksCollapsed,
                MaskHeadSums.plus(head, other.head), audit.plus(other.audit));
    }

    /** {@code ((r0 + r1) + r2) + ...}: fold in the given (partition) order, never arrival order. */
    public static TaskResult sum(List<TaskResult> partitions) {
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("no task results to sum");
        }
        TaskResult acc = partitions.get(0);
        for (int i = 1; i < partitions.size(); i++) acc = acc.merge(partitions.get(i));
        return acc;
    }
}
