package org.atmanrl.driver.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;

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

    /**
     * {@code atmanrl eval --partitions P}: the first {@code size} problems of {@code data}'s test set
     * evaluated with the model of directory {@code dir} (its {@code weights} already read) on a Spark
     * application of its own.
     */
    public static EvalReport onModelDirectory(FileSystem fs, Path dir, LlamaWeights weights, Evaluation evaluation,
                                              Datasets.Dataset data, int size, int partitions)
            throws IOException {
        Map<String, byte[]> companions = ModelDirectory.companionFiles(fs, dir);
        byte[] config = ModelDirectory.readConfig(fs, dir).toBytes(SafetensorsDType.F32);
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < Math.min(size, data.test().size()); i++) problems.add(data.test().get(i));
        JavaSparkContext sc = SparkSetup.start(TrainConfig.defaults().spark(), "AtManRL eval " + dir.getName());
        try {
            Broadcast<RunResources> run = sc.broadcast(new RunResources(UUID.randomUUID().toString(), config,
                    companions.get(Tokenizer.TOKENIZER_FILE), companions.get(Tokenizer.CONFIG_FILE), null,
                    ThreadBudget.perTask(sc.getConf(), partitions)));
            return run(sc, run, PolicySnapshot.of(0, weights), evaluation, data.encoder().stopToken(),
                    data.test().name(), problems, partitions);
        } finally {
            sc.stop();
        }
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
