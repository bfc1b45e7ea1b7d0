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
import org.atmanrl.reward.task.Problem;

/**
 * One Spark task of a training step: its partition's prompts in, one {@link TaskResult} out. It
 * depends only on the broadcasts, the step and the prompts, so a retried attempt returns the same
 * bytes. The fault-injection switch fails a chosen partition's first attempt, to test exactly that.
 */
final class StepTaskFunction implements Function2<Integer, Iterator<Problem>, Iterator<TaskResult>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RunResources> run;
    private final Broadcast<PolicySnapshot> policy;
    private final RolloutScoring scoring;
    private final int stopToken;
    private final long seed;
    private final long step;
    private final int failPartition;

    /** @param failPartition the partition whose first attempt throws, or -1 for none */
    StepTaskFunction(Broadcast<RunResources> run, Broadcast<PolicySnapshot> policy, RolloutScoring scoring,
                     int stopToken, long seed, long step, int failPartition) {
        this.run = run;
        this.policy = policy;
        this.scoring = scoring;
        this.stopToken = stopToken;
        this.seed = seed;
        this.step = step;
        this.failPartition = failPartition;
    }

    @Override
    public Iterator<TaskResult> call(Integer partition, Iterator<Problem> prompts) {
        TaskContext context = TaskContext.get();
        if (partition == failPartition && context != null && context.attemptNumber() == 0) {
            throw new InjectedFault("injected fault: task " + partition + " of step " + (step + 1)
                    + " fails on its first attempt (faults.fail_task_*)");
        }
        List<Problem> problems = new ArrayList<>();
        prompts.forEachRemaining(problems::add);
        ExecutorModels models = ExecutorModels.acquire(run.value(), policy.value());
        try {
            TaskResult r = TaskStep.run(models.policy, models.reference, models.tokenizer, stopToken, scoring, problems,
                    seed, step);
            return List.of(r).iterator();
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
