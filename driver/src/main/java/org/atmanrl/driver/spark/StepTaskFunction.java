package org.atmanrl.driver.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.reward.data.Problem;

/**
 * One Spark task of a training step's update: its partition's prompts in, one {@link TaskResult}
 * out. The first update of a step generates and scores the shard under the step's starting policy
 * ({@code start}); further updates ({@code mu > 1}) reuse the shard an executor kept, or prepare it
 * again from {@code start}, and compute the gradient under the {@code current} policy. The result
 * depends only on the broadcasts, the step and the prompts, so a retried attempt returns the same
 * bytes. The fault-injection switch fails a chosen partition's first attempt, to test exactly that.
 */
final class StepTaskFunction implements Function2<Integer, Iterator<Problem>, Iterator<TaskResult>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RunResources> run;
    private final Broadcast<PolicySnapshot> start;
    private final Broadcast<PolicySnapshot> current;
    private final Broadcast<PolicySnapshot> head;
    private final RolloutScoring scoring;
    private final int stopToken;
    private final long seed;
    private final long step;
    private final int update;
    private final int failPartition;

    /**
     * @param head          the mask network at the step's start (docs/design.md 2.6), or null without it
     * @param failPartition the partition whose first attempt throws, or -1 for none
     */
    StepTaskFunction(Broadcast<RunResources> run, Broadcast<PolicySnapshot> start, Broadcast<PolicySnapshot> current,
                     Broadcast<PolicySnapshot> head, RolloutScoring scoring, int stopToken, long seed, long step,
                     int update, int failPartition) {
        this.run = run;
        this.start = start;
        this.current = current;
        this.head = head;
        this.scoring = scoring;
        this.stopToken = stopToken;
        this.seed = seed;
        this.step = step;
        this.update = update;
        this.failPartition = failPartition;
    }

    @Override
    public Iterator<TaskResult> call(Integer partition, Iterator<Problem> prompts) {
        TaskContext context = TaskContext.get();
        if (partition == failPartition && context != null && context.attemptNumber() == 0) {
            throw new InjectedFault("injected fault: task " + partition + " of step " + step
                    + " (0-based) fails on its first attempt (faults.fail_task_*)");
        }
        List<Problem> problems = new ArrayList<>();
        prompts.forEachRemaining(problems::add);
        RunResources resources = run.value();
        ThreadBudget.apply(resources.threadsPerTask());
        boolean keep = scoring.grpo().mu() > 1;
        PartitionStep work = new PartitionStep(scoring, stopToken, seed, step);
        TaskStep.Prepared prepared = update == 0 ? null : PreparedShards.get(resources.runId(), step, partition);
        if (prepared == null) {
            ExecutorModels models = ExecutorModels.acquire(resources, start.value());
            try {
                prepared = work.prepare(models.policy, models.reference, head == null ? null : head.value(),
                        models.tokenizer, problems);
            } finally {
                models.release();
            }
            if (keep) PreparedShards.put(resources.runId(), step, partition, prepared);
        }
        ExecutorModels models = ExecutorModels.acquire(resources, current.value());
        try {
            return List.of(work.gradient(models.policy, prepared, update)).iterator();
        } finally {
            models.release();
        }
    }

    /** The exception of the fault-injection switch. */
    static final class InjectedFault extends RuntimeException {
        InjectedFault(String message) {
            super(message);
        }
    }
}
