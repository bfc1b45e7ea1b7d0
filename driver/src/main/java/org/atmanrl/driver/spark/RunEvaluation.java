package org.atmanrl.driver.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.executor.eval.FaithfulnessConfig;
import org.atmanrl.reward.data.Problem;

/**
 * A training run's evaluations (before training, every {@code eval.every} steps, after the last):
 * the same Spark job on the same problems in both modes; only where its tasks get the policy
 * differs, a broadcast snapshot in sync mode, a model directory in barrier mode (docs/design.md 3.5,
 * "Evaluation"), so both modes report the same numbers at the same step.
 */
final class RunEvaluation {
    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final SparkTraining.Listener listener;
    private final Broadcast<RunResources> run;
    private final Datasets.Dataset data;
    private final Evaluation evaluation;

    RunEvaluation(JavaSparkContext sc, TrainConfig config, SparkTraining.Listener listener,
                  Broadcast<RunResources> run, Datasets.Dataset data) {
        this.sc = sc;
        this.config = config;
        this.listener = listener;
        this.run = run;
        this.data = data;
        int rows = config.saliency().maxRowsPerPass();
        this.evaluation = new Evaluation(config.saliency(), config.eval().maxNewTokens(), rows,
                config.eval().faithfulness() ? FaithfulnessConfig.defaults(config.eval().maxNewTokens(), rows)
                        .withPolicySamples(config.eval().policySamples(), config.sampling().probeTemperature()) : null);
    }

    boolean on() {
        return config.eval().size() > 0;
    }

    /** Whether the run evaluates after {@code step} steps between steps (the last step's is the final one). */
    boolean dueAfter(long step) {
        int every = config.eval().every();
        return on() && every > 0 && step % every == 0 && step != config.steps();
    }

    /** The evaluation after {@code step} steps with the policy broadcast as {@code snapshot}. */
    EvalReport withSnapshot(long step, PolicySnapshot snapshot) {
        return evaluate(step, problems -> SparkEvaluation.run(sc, run, snapshot, evaluation,
                data.encoder().stopToken(), data.test().name(), problems, config.partitions()));
    }

    /** The evaluation after {@code step} steps with the policy each task reads from {@code modelDirectory}. */
    EvalReport fromDirectory(long step, String modelDirectory) {
        return evaluate(step, problems -> SparkEvaluation.fromDirectory(sc, run, modelDirectory, evaluation,
                data.encoder().stopToken(), data.test().name(), problems, config.partitions()));
    }

    private EvalReport evaluate(long step, Function<List<Problem>, EvalReport> job) {
        sc.setJobDescription("AtManRL evaluation after step " + step);
        int n = Math.min(config.eval().size(), data.test().size());
        listener.message("evaluating on " + n + " test problems" + (step == 0 ? " before training" : " after step " + step)
                + (config.eval().faithfulness() ? ", with the faithfulness probes" : ""));
        List<Problem> problems = new ArrayList<>(n);
        for (int i = 0; i < n; i++) problems.add(data.test().get(i));
        EvalReport r = job.apply(problems);
        listener.message(String.format("after step %d: test accuracy %.3f, N %.3f, C %.3f, r_sal %.4f (%.0f s)", step,
                r.accuracy(), r.meanNecessity(), r.meanCoverage(), r.meanSaliency(), r.seconds()));
        return r;
    }
}
