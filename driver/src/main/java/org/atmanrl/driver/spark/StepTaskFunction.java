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
import org.atmanrl.model.LlamaModel;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.data.Problem;
import org.nd4j.linalg.api.buffer.DataType;

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
        TaskStep.Prepared prepared = update == 0 ? null : PreparedShards.get(resources.runId(), step, partition);
        if (prepared == null) {
            ExecutorModels models = ExecutorModels.acquire(resources, start.value());
            MaskHead maskHead = head == null ? null
                    : MaskHead.of(head.value().tensors(), scoring.saliency().theta0(), DataType.FLOAT);
            try {
                // with LoRA the executor always has the base at hand; it is the reference only when beta > 0
                LlamaModel reference = scoring.grpo().needsReference() ? models.reference : null;
                prepared = TaskStep.prepare(models.policy, maskHead, reference, models.tokenizer, stopToken,
                        scoring, problems, seed, step);
            } finally {
                models.release();
                if (maskHead != null) maskHead.close();
            }
            if (keep) PreparedShards.put(resources.runId(), step, partition, prepared);
        }
        ExecutorModels models = ExecutorModels.acquire(resources, current.value());
        try {
            // LoRA dropout's draws: keyed by the run seed and the optimizer update, then each row's stable key
            long dropoutSeed = TaskStep.dropoutSeed(seed, step * scoring.grpo().mu() + update);
            return List.of(TaskStep.gradient(models.policy, scoring.grpo(), prepared, update == 0, dropoutSeed))
                    .iterator();
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
