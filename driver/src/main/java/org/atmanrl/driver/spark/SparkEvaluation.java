package org.atmanrl.driver.spark;

import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.reward.task.Problem;

/**
 * An {@link Evaluation} sharded over Spark tasks, so a large test set (and the faithfulness
 * probes' many generations) uses the whole cluster: the problems in {@code partitions} contiguous
 * shards, each task evaluates its shard with the policy broadcast as a snapshot, and the shard
 * reports are merged in partition order ({@link EvalReport#merge}: counts add, means weighted by
 * their counts). The merged report's seconds are the evaluation's wall time.
 */
public final class SparkEvaluation {
    private SparkEvaluation() {
    }

    public static EvalReport run(JavaSparkContext sc, Broadcast<RunResources> run, PolicySnapshot policy,
                                 Evaluation evaluation, int stopToken, String dataSet, List<Problem> problems,
                                 int partitions) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("no test problems to evaluate");
        }
        long t0 = System.nanoTime();
        Broadcast<PolicySnapshot> snapshot = sc.broadcast(policy);
        try {
            List<EvalReport> shards = sc.parallelize(problems, Math.min(partitions, problems.size()))
                    .mapPartitionsWithIndex(new EvalTaskFunction(run, snapshot, evaluation, stopToken, dataSet), true)
                    .collect();
            EvalReport m = EvalReport.merge(shards);
            return new EvalReport(m.dataSet(), m.problems(), m.correct(), m.unparsed(), m.fitted(), m.meanNecessity(),
                    m.meanCoverage(), m.meanSufficiency(), m.meanSaliency(), m.meanSaliencyOfCorrect(),
                    m.masksCollapsed(), (System.nanoTime() - t0) / 1e9, m.faithfulness());
        } finally {
            snapshot.destroy();
        }
    }
}
