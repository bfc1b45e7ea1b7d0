package org.atmanrl.driver.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.reward.data.Problem;

/**
 * One Spark task of a distributed evaluation: its shard of test problems in, its {@link
 * EvalReport} out (nothing for an empty shard). Greedy decoding and the deterministic mask fit
 * and probes make a retried attempt return the same report.
 */
final class EvalTaskFunction implements Function2<Integer, Iterator<Problem>, Iterator<EvalReport>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RunResources> run;
    private final Broadcast<PolicySnapshot> policy;
    private final Evaluation evaluation;
    private final int stopToken;
    private final String dataSet;

    EvalTaskFunction(Broadcast<RunResources> run, Broadcast<PolicySnapshot> policy, Evaluation evaluation,
                     int stopToken, String dataSet) {
        this.run = run;
        this.policy = policy;
        this.evaluation = evaluation;
        this.stopToken = stopToken;
        this.dataSet = dataSet;
    }

    @Override
    public Iterator<EvalReport> call(Integer partition, Iterator<Problem> shard) {
        List<Problem> problems = new ArrayList<>();
        shard.forEachRemaining(problems::add);
        if (problems.isEmpty()) return Collections.emptyIterator();
        RunResources resources = run.value();
        ThreadBudget.apply(resources.threadsPerTask());
        ExecutorModels models = ExecutorModels.acquire(resources, policy.value());
        try {
            return List.of(evaluation.run(models.policy, models.tokenizer, stopToken, dataSet, problems)).iterator();
        } finally {
            models.release();
        }
    }
}
