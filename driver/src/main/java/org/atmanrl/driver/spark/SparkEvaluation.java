package org.atmanrl.driver.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
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
        long t0 = System.nanoTime();
        Broadcast<PolicySnapshot> snapshot = sc.broadcast(policy);
        try {
            return run(sc, new EvalTaskFunction(run, snapshot, evaluation, stopToken, dataSet), problems, partitions, t0);
        } finally {
            snapshot.destroy();
        }
    }

    /**
     * As above, with the policy read by each task from {@code modelDirectory} (a qualified path):
     * barrier mode's evaluation, whose driver holds no model (docs/design.md 3.5).
     */
    public static EvalReport fromDirectory(JavaSparkContext sc, Broadcast<RunResources> run, String modelDirectory,
                                           Evaluation evaluation, int stopToken, String dataSet, List<Problem> problems,
                                           int partitions) {
        return run(sc, new DirectoryEvalFunction(run, modelDirectory, evaluation, stopToken, dataSet), problems,
                partitions, System.nanoTime());
    }

    /** The problems in contiguous shards, one task each, the shard reports merged in partition order. */
    private static EvalReport run(JavaSparkContext sc, Function2<Integer, Iterator<Problem>, Iterator<EvalReport>> task,
                                  List<Problem> problems, int partitions, long t0) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("no test problems to evaluate");
        }
        List<EvalReport> shards = sc.parallelize(problems, Math.min(partitions, problems.size()))
                .mapPartitionsWithIndex(task, true).collect();
        EvalReport m = EvalReport.merge(shards);
        return new EvalReport(m.dataSet(), m.problems(), m.correct(), m.unparsed(), m.fitted(), m.meanNecessity(),
                m.meanCoverage(), m.meanSufficiency(), m.meanSaliency(), m.meanSaliencyOfCorrect(),
                m.masksCollapsed(), (System.nanoTime() - t0) / 1e9, m.faithfulness());
    }
}
