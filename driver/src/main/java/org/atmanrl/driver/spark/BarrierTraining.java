package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.checkpoint.CheckpointStore;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.step.DriverTimes;
import org.atmanrl.driver.step.SkipStreak;
import org.atmanrl.driver.step.StepMetrics;
import org.atmanrl.driver.step.StepOutcome;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.optim.GradientClipping;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import scala.reflect.ClassTag$;

/**
 * Barrier mode's run on the driver (docs/design.md 3.5): one barrier stage of P ranks per
 * checkpoint interval ({@link BarrierStageFunction}); the driver holds no model, only the run's
 * control: the prompts of each stage, the metrics lines and progress from rank 0's reports, the
 * completion of each checkpoint the ranks wrote shard by shard, and the run directory. A stage ends
 * where sync mode would checkpoint (checkpoint.every, a planned stop, the end), so a stopped run
 * resumes from the same steps, and at the same P to the same bytes.
 */
final class BarrierTraining {
    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final String resolvedYaml;
    private final SparkTraining.Listener listener;

    BarrierTraining(JavaSparkContext sc, TrainConfig config, String resolvedYaml, SparkTraining.Listener listener) {
        this.sc = sc;
        this.config = config;
        this.resolvedYaml = resolvedYaml;
        this.listener = listener;
    }

    /** Where a resumed stage starts: the checkpoint's step, its run state and directory. */
    private record Start(long step, int skippedInARow, long optimizerSteps, Path checkpoint, int ranks) {
    }

    /** What SparkTraining opened and read before it chose the mode: the run directory and the model's small files. */
    record Opened(RunDirectory out, CheckpointStore store, Path modelPath, FileSystem modelFs, HfConfig modelConfig,
                  Map<String, byte[]> companions) {
    }

    SparkTraining.Outcome run(Opened opened, boolean resume, long stopAfter, long started) throws IOException {
        requireSlots();
        RunDirectory out = opened.out();
        CheckpointStore store = opened.store();
        Path modelPath = opened.modelPath();
        HfConfig modelConfig = opened.modelConfig();
        Map<String, byte[]> companions = opened.companions();
        Configuration hadoop = sc.hadoopConfiguration();
        Start start = resume && out.holdsRun() ? restored(out, store) : new Start(0, 0, 0, null, 0);
        // the prompts are encoded as they are drawn: the tokenizer stays open for the run
        try (Tokenizer tokenizer = Tokenizer.fromJson(modelPath.toString(), companions.get(Tokenizer.TOKENIZER_FILE),
                companions.get(Tokenizer.CONFIG_FILE))) {
            Datasets.Dataset data = TrainInputs.open(config, hadoop, tokenizer);
            TrainInputs.requireUsable(config, data, modelConfig.model().maxPositionEmbeddings());
            data.warnings().forEach(listener::message);
            ModelDirectory.checkWeights(opened.modelFs(), modelPath, modelConfig.model()); // the ranks read it; refuse it here
            out.writeIfChanged(RunDirectory.CONFIG, resolvedYaml.getBytes(StandardCharsets.UTF_8));
            DataFilesRecord.write(out, data.files(), listener::message);
            return train(out, store, start, modelPath, modelConfig, companions, data, stopAfter, started);
        }
    }

    private SparkTraining.Outcome train(RunDirectory out, CheckpointStore store, Start start, Path modelPath,
                                        HfConfig modelConfig, Map<String, byte[]> companions, Datasets.Dataset data,
                                        long stopAfter, long started) throws IOException {
        int stop = data.encoder().stopToken();
        PromptOrder order = new PromptOrder(data.train(), config.seed());
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Broadcast<RunResources> run = sc.broadcast(new RunResources(UUID.randomUUID().toString(),
                modelConfig.toBytes(SafetensorsDType.F32), companions.get(Tokenizer.TOKENIZER_FILE),
                companions.get(Tokenizer.CONFIG_FILE), null, ThreadBudget.perTask(sc.getConf(), config.partitions())));
        boolean saliencyOn = config.saliency().alpha() > 0 || config.saliencyMetrics();
        BarrierStageFunction.Settings settings = new BarrierStageFunction.Settings(
                new RolloutScoring(config.grpo(), config.saliency(), saliencyOn, config.sampling().params(stop),
                        config.saliency().maxRowsPerPass(), config.partitions()),
                stop, config.seed(), config.optimizer().adam(),
                config.optimizer().schedule((long) config.steps() * config.grpo().mu()), config.optimizer().clipNorm(),
                config.faults());
        List<String> metrics = new ArrayList<>(out.metricLinesUpTo(start.step()));
        long last = start.step();
        // evaluations as sync mode runs them, each task reading the policy from the model directory or the
        // checkpoint just completed: the driver never holds it (docs/design.md 3.5, "Evaluation")
        RunEvaluation evaluation = new RunEvaluation(sc, config, listener, run, data);
        EvalReport before = null;
        JsonNode keptBefore = RunSummaryFile.keptBefore(out);
        if (start.step() == 0) {
            before = evaluation.on() ? evaluation.fromDirectory(0, qualified(modelPath)) : null;
            keptBefore = before == null ? null : before.toJson();
        }
        try (RunSummaryFile summary = new RunSummaryFile(out, keptBefore, start.step())) {
            SkipStreak streak = new SkipStreak(start.skippedInARow(), config.optimizer().maxSkippedSteps());
            long optimizerSteps = start.optimizerSteps();
            Path checkpoint = start.checkpoint();
            int ranks = start.ranks(); // who wrote the checkpoint the next stage starts from

            while (last < config.steps() && (stopAfter < 0 || last < stopAfter)) {
                long end = stageEnd(last, stopAfter);
                Path temporary = store.temporaryFor(end);
                BarrierStageFunction.Plan plan = new BarrierStageFunction.Plan(last, end, config.promptsPerStep(),
                        qualified(checkpoint == null ? modelPath : new Path(checkpoint, "model")),
                        checkpoint == null ? null : qualified(checkpoint), ranks, optimizerSteps, streak.inARow(),
                        config.optimizer().maxSkippedSteps(), qualified(temporary), 0);
                List<BarrierStepReport> reports = stage(run, order, plan, settings, key);
                ObjectNode lastLine = null; // the stage's last metrics line, which an evaluation after it joins
                for (BarrierStepReport r : reports) {
                    streak = streak.after(!Double.isFinite(r.gradNorm()));
                    ObjectNode line = StepMetrics.line(outcome(r, streak), config.grpo().needsReference());
                    optimizerSteps = r.optimizerSteps();
                    if (streak.exceeded()) {
                        record(out, metrics, line, r);
                        long at = r.step() - 1; // after the step before: resuming retries this step's batch
                        complete(store, temporary, at, modelConfig, companions, optimizerSteps, streak.inARow() - 1);
                        summary.end(RunStatus.DIVERGED, null);
                        throw SparkTraining.diverged(at, streak, store);
                    }
                    last = r.step();
                    record(out, metrics, line, r);
                    summary.stepDone(last);
                    lastLine = line;
                }
                checkpoint = complete(store, temporary, end, modelConfig, companions, optimizerSteps, streak.inARow());
                ranks = config.partitions();
                if (last == end && evaluation.dueAfter(end)) {
                    // the line was written before the checkpoint: a run stopped during the evaluation still
                    // has it when it resumes from that checkpoint; the evaluation is added to it now
                    lastLine.set("eval", evaluation.fromDirectory(end, qualified(new Path(checkpoint, "model"))).toJson());
                    metrics.set(metrics.size() - 1, lastLine.toString());
                    out.writeMetrics(metrics);
                }
            }
            boolean finished = last == config.steps();
            Path lastCheckpoint = checkpoint == null ? store.stepDirectory(last) : checkpoint;
            EvalReport after = finished && evaluation.on()
                    ? evaluation.fromDirectory(last, qualified(new Path(lastCheckpoint, "model"))) : null;
            if (finished) writeSamples(out, run, data, qualified(new Path(lastCheckpoint, "model")));
            if (finished && !out.fs().exists(out.model())) {
                copyModel(out, lastCheckpoint);
            }
            run.destroy();
            RunStatus status = finished ? RunStatus.DONE : RunStatus.STOPPED;
            summary.end(status, after);
            return new SparkTraining.Outcome(start.step(), last, finished, before, after,
                    (System.nanoTime() - started) / 1e9, out.root(), status);
        }
    }

    /**
     * saliency_samples.json of the finished run: sync mode's driver computes it with its policy; here
     * one Spark task computes it from {@code modelDirectory}, the last checkpoint's.
     */
    private void writeSamples(RunDirectory out, Broadcast<RunResources> run, Datasets.Dataset data,
                              String modelDirectory) throws IOException {
        int k = Math.min(config.eval().samples(), data.test().size());
        if (k == 0) return;
        listener.message(SparkTraining.samplesMessage(k));
        List<Problem> problems = new ArrayList<>(k);
        for (int i = 0; i < k; i++) problems.add(data.test().get(i));
        sc.setJobDescription("AtManRL saliency samples");
        List<String> json = sc.parallelize(problems, 1).mapPartitions(new DirectorySamplesFunction(run, modelDirectory,
                config.saliency(), data.encoder().stopToken(), config.eval().maxNewTokens(),
                config.saliency().maxRowsPerPass())).collect();
        out.write(RunDirectory.SALIENCY_SAMPLES, json.get(0).getBytes(StandardCharsets.UTF_8));
    }

    /** A step's metrics line, written and shown. */
    private void record(RunDirectory out, List<String> metrics, ObjectNode line, BarrierStepReport r) throws IOException {
        metrics.add(line.toString());
        out.writeMetrics(metrics);
        listener.step(new SparkTraining.StepReport(r.step(), config.steps(), line, r.total()));
    }

    /** One barrier stage of P ranks over the plan's steps; rank 0's reports, in step order. */
    private List<BarrierStepReport> stage(Broadcast<RunResources> run, PromptOrder order,
                                          BarrierStageFunction.Plan plan, BarrierStageFunction.Settings settings,
                                          byte[] key) {
        int b = config.promptsPerStep();
        long count = (plan.end() - plan.first()) * b; // at most 99,999,999 x 65,536: no overflow in a long
        if (count > KryoRegistration.MAX_ARRAY_LENGTH) {
            // the broadcast's reader bounds an array's length (KryoRegistration): refused here, not on the executors
            throw new UserInputException("a barrier stage of steps " + (plan.first() + 1) + "-" + plan.end() + " holds "
                    + count + " prompts, more than " + KryoRegistration.MAX_ARRAY_LENGTH
                    + "; lower checkpoint.every (one stage per checkpoint interval)");
        }
        Problem[] prompts = new Problem[(int) count];
        for (int i = 0; i < prompts.length; i++) prompts[i] = order.at(plan.first() * b + i);
        Broadcast<Problem[]> shared = sc.broadcast(prompts);
        try {
            sc.setJobDescription("AtManRL barrier stage: steps " + (plan.first() + 1) + "-" + plan.end() + "/"
                    + config.steps());
            List<Integer> ranks = new ArrayList<>();
            for (int r = 0; r < config.partitions(); r++) ranks.add(r);
            int attempts = config.spark().taskMaxFailures();
            for (int attempt = 0; ; attempt++) {
                BarrierStageFunction.Plan p = plan.withAttempt(attempt);
                try {
                    Object collected = sc.parallelize(ranks, config.partitions()).rdd().barrier()
                            .mapPartitions(new BarrierStageFunction(run, shared, p, settings, key), false,
                                    ClassTag$.MODULE$.apply(BarrierStepReport.class))
                            .collect();
                    return Arrays.asList((BarrierStepReport[]) collected);
                } catch (Exception e) { // SparkException is checked in Java, though collect does not declare it
                    // Spark does not rerun a failed barrier stage whose results are collected (a result
                    // stage): the run does, from the stage's start, which gives the same bytes (3.1)
                    if (!(e instanceof org.apache.spark.SparkException) || attempt + 1 >= attempts) throw e;
                    listener.message("barrier stage of steps " + (plan.first() + 1) + "-" + plan.end() + " failed"
                            + " (attempt " + (attempt + 1) + " of " + attempts + "): "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + "; running it again");
                }
            }
        } finally {
            shared.destroy();
        }
    }

    /**
     * The end of the stage that starts after {@code step} steps: the next step sync mode would
     * checkpoint after (a multiple of checkpoint.every, the planned stop, the last step) or evaluate
     * after (a multiple of eval.every when eval.size > 0): evaluation reads the policy from the
     * stage's checkpoint, so such a step also gets one.
     */
    private long stageEnd(long step, long stopAfter) {
        long end = config.steps();
        int every = config.checkpoint().every();
        if (every > 0) end = Math.min(end, (step / every + 1) * every);
        int evalEvery = config.eval().every();
        if (config.eval().size() > 0 && evalEvery > 0) end = Math.min(end, (step / evalEvery + 1) * evalEvery);
        if (stopAfter >= 0) end = Math.min(end, stopAfter);
        return end;
    }

    /** The metrics line's view of a step that rank 0 reported. */
    private static StepOutcome outcome(BarrierStepReport r, SkipStreak streak) {
        PolicyUpdate.Result update = new PolicyUpdate.Result(new GradientClipping.Result(r.gradNorm(), r.clipScale()),
                r.lr());
        DriverTimes times = new DriverTimes(0, r.compute(), r.exchange(), r.update(), r.total());
        return new StepOutcome(r.step(), r.rollouts(), r.rollouts().gradient().normalise(), update, streak, times, null);
    }

    /** The checkpoint the ranks wrote into {@code temporary}, completed as the one of {@code step}. */
    private Path complete(CheckpointStore store, Path temporary, long step, HfConfig modelConfig,
                          Map<String, byte[]> companions, long optimizerSteps, int skippedInARow) throws IOException {
        if (store.completeSteps().contains(step)) {
            store.discard(temporary);
            return store.stepDirectory(step);
        }
        Map<String, long[]> shapes = LlamaWeights.shapes(modelConfig.model());
        Shards shards = Shards.split(shapes, config.partitions());
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        List<String> names = new ArrayList<>(shapes.keySet());
        for (int k = 0; k < shards.count(); k++) {
            for (int i = shards.firstTensor(k); i < shards.endTensor(k); i++) {
                weightMap.put(names.get(i), ModelDirectory.shardFile(k, shards.count()));
            }
            total += shards.bytes(k);
        }
        ObjectNode state = SparkTraining.runState(config, step, optimizerSteps, skippedInARow);
        Path dir = store.complete(temporary, step, modelConfig, companions, weightMap, total,
                JsonFiles.MAPPER.writeValueAsBytes(state), resolvedYaml.getBytes(StandardCharsets.UTF_8));
        listener.message("checkpoint " + dir);
        return dir;
    }

    /** The newest checkpoint a resumed run starts from, verified and checked as sync mode checks it. */
    private Start restored(RunDirectory out, CheckpointStore store) throws IOException {
        OptionalLong newest = store.newestVerified(fault -> listener.message("skipping checkpoint " + fault));
        if (newest.isEmpty() && store.hasCheckpointDirectories()) {
            throw new UserInputException("cannot resume " + out.root() + ": no checkpoint loads; the run is not"
                    + " started over");
        }
        if (newest.isEmpty()) ResumeCheck.requireNothingToLose(out, out.metricLinesUpTo(Long.MAX_VALUE).size());
        int stale = store.removeStaleTemporaries();
        if (stale > 0) listener.message("removed " + stale + " unfinished checkpoint(s) of an interrupted run");
        if (newest.isEmpty()) return new Start(0, 0, 0, null, 0);
        CheckpointStore.SavedState s = store.loadState(newest.getAsLong());
        // a barrier checkpoint's shards are whole tensors, read at any P: the ranks reshard it (docs/design.md 3.5)
        SparkTraining.requireSameRun(s.step(), s.config(), resolvedYaml,
                s.optimizerShards() > 0 ? java.util.Set.of("partitions") : java.util.Set.of());
        listener.message("resuming after step " + s.step() + " from its checkpoint in " + out.checkpoints()
                + (s.optimizerShards() > 0 && s.optimizerShards() != config.partitions()
                ? ", resharding its " + s.optimizerShards() + " optimizer shards onto " + config.partitions() + " ranks"
                : ""));
        return new Start(s.step(), SparkTraining.skippedInARow(s.step(), s.runState()),
                JsonFiles.MAPPER.readTree(s.runState()).path("optimizer_steps").asLong(0), s.directory(),
                s.optimizerShards());
    }

    /** The run's model directory: the last checkpoint's, copied whole (the driver never holds the weights). */
    private void copyModel(RunDirectory out, Path checkpoint) throws IOException {
        Path from = new Path(checkpoint, "model");
        HadoopFiles.writeAtomically(out.fs(), out.model(), temporary -> {
            if (!FileUtil.copy(out.fs(), from, out.fs(), temporary, false, sc.hadoopConfiguration())) {
                throw new IOException("could not copy " + from + " to " + temporary);
            }
        });
    }

    /**
     * Barrier mode runs its P ranks at once; a local master with fewer slots would make Spark wait
     * and retry the stage for minutes before it fails, so it is refused here in one line.
     */
    private void requireSlots() {
        int slots = ThreadBudget.localSlots(sc.master());
        if (slots > 0 && slots < config.partitions()) {
            throw new UserInputException("mode barrier runs its " + config.partitions() + " partitions as tasks at once,"
                    + " but the master " + sc.master() + " has " + slots + " task slots; use local[" + config.partitions()
                    + "] or more, or fewer partitions");
        }
    }

    private String qualified(Path p) {
        return HadoopFiles.fileSystem(p, sc.hadoopConfiguration()).makeQualified(p).toString();
    }
}
