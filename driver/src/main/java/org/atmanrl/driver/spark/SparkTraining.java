package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.checkpoint.Checkpoint;
import org.atmanrl.driver.checkpoint.CheckpointStore;
import org.atmanrl.driver.checkpoint.MaskHeadFiles;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainingMode;
import org.atmanrl.driver.step.DivergedRunException;
import org.atmanrl.driver.step.DriverTimes;
import org.atmanrl.driver.step.HeadUpdate;
import org.atmanrl.driver.step.PolicyStep;
import org.atmanrl.driver.step.SkipStreak;
import org.atmanrl.driver.step.StepMetrics;
import org.atmanrl.driver.step.StepOutcome;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.AdapterDirectory;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The training service's step loop on the driver (docs/design.md 3, sync mode). Per step: the next B
 * prompts of a seeded shuffle ({@link PromptOrder}); an RDD of P partitions over them, so each prompt's whole group is
 * one task's; the policy broadcast as plain arrays; each task returns a {@link TaskResult}; the
 * results are added in partition order, normalised once, clipped and applied with AdamW. Then the
 * metrics line, and a checkpoint when one is due. Everything random is keyed by the run seed, so
 * a run, a retried task and a resumed run give the same bytes.
 */
public final class SparkTraining {
    /** What the console shows. */
    public interface Listener {
        void message(String line);

        void step(StepReport report);
    }

    /** One step, as the metrics line and the console see it. */
    public record StepReport(long step, long steps, ObjectNode metrics, double seconds) {
    }

    /** What a finished (or stopped) run leaves for a summary. */
    public record Outcome(long firstStep, long lastStep, boolean finished, EvalReport before, EvalReport after,
                          double seconds, Path runDir, RunStatus status) {
    }

    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final String resolvedYaml;
    private final Listener listener;

    public SparkTraining(JavaSparkContext sc, TrainConfig config, Listener listener) {
        this.sc = sc;
        this.config = config;
        this.resolvedYaml = config.toYaml();
        this.listener = listener;
    }

    /**
     * Trains from the start, or with {@code resume} from the newest complete checkpoint in the
     * output directory, up to {@code config.steps()} or, when {@code stopAfter >= 0}, until that
     * step is done (a planned stop; resume later).
     */
    public Outcome run(boolean resume, long stopAfter) throws IOException {
        long started = System.nanoTime();
        Configuration hadoop = sc.hadoopConfiguration();
        Path outPath = new Path(config.output());
        RunDirectory out = new RunDirectory(HadoopFiles.fileSystem(outPath, hadoop), outPath);
        out.requireFreshOrResumable(resume);
        if (resume && out.finishedAt(config.steps())) {
            // the same command again after success: nothing to train, and nothing is rewritten
            listener.message("the run in " + out.root() + " is already finished (" + RunDirectory.SUMMARY + ")");
            return new Outcome(config.steps(), config.steps(), true, null, null, 0, out.root(),
                    out.status().orElseThrow());
        }
        CheckpointStore store = new CheckpointStore(out.fs(), out.checkpoints(), config.checkpoint().keepLast());

        Path modelPath = new Path(config.model());
        FileSystem modelFs = HadoopFiles.fileSystem(modelPath, hadoop);
        HfConfig modelConfig = ModelDirectory.readConfig(modelFs, modelPath);
        Map<String, byte[]> companions = ModelDirectory.companionFiles(modelFs, modelPath);
        TrainInputs.requireTokenizer(modelPath, companions);
        if (config.mode() == TrainingMode.BARRIER) {
            return new BarrierTraining(sc, config, resolvedYaml, listener).run(
                    new BarrierTraining.Opened(out, store, modelPath, modelFs, modelConfig, companions), resume,
                    stopAfter, started);
        }

        Optional<Checkpoint> restored = Optional.empty();
        if (resume && out.holdsRun()) {
            restored = store.loadNewest(DataType.FLOAT, listener::message);
            if (restored.isEmpty() && store.hasCheckpointDirectories()) {
                throw new UserInputException("cannot resume " + out.root() + ": no checkpoint loads; the run is not"
                        + " started over");
            }
            if (restored.isEmpty()) ResumeCheck.requireNothingToLose(out, out.metricLinesUpTo(Long.MAX_VALUE).size());
            int stale = store.removeStaleTemporaries(); // only once there is a checkpoint to resume from
            if (stale > 0) listener.message("removed " + stale + " unfinished checkpoint(s) of an interrupted run");
            if (restored.isPresent()) {
                requireSameRun(restored.get());
                requireSameKind(restored.get(), store);
                requireMaskHead(restored.get(), store);
            }
        }
        boolean saliencyOn = config.saliency().alpha() > 0 || config.saliencyMetrics();
        boolean network = saliencyOn && config.saliency().network();

        DriverPolicy policy;
        long firstStep;
        LoraConfig lora = config.lora().adapters();
        try (Tokenizer tokenizer = Tokenizer.fromJson(modelPath.toString(), companions.get(Tokenizer.TOKENIZER_FILE),
                companions.get(Tokenizer.CONFIG_FILE))) {
            Datasets.Dataset data = TrainInputs.open(config, hadoop, tokenizer);
            TrainInputs.requireUsable(config, data, modelConfig.model().maxPositionEmbeddings());
            data.warnings().forEach(listener::message);
            int stop = data.encoder().stopToken();
            // with LoRA the driver keeps no base: the executors read it, and the saliency samples read it once at the end
            LlamaWeights start = lora != null ? null
                    : ModelDirectory.readWeights(modelFs, modelPath, modelConfig.model(), DataType.FLOAT);
            // only now that every input has been read: a bad one leaves the output as it was
            out.writeIfChanged(RunDirectory.CONFIG, resolvedYaml.getBytes(StandardCharsets.UTF_8));
            DataFilesRecord.write(out, data.files(), listener::message);
            AdamW adam;
            MaskHeadTraining maskHead = null;
            if (restored.isPresent()) {
                Checkpoint c = restored.get();
                // with LoRA the base is the model directory's, as on the executors, and the checkpoint holds the adapters
                policy = lora == null ? new DriverPolicy(c.weights(), null) : new DriverPolicy(null, c.adapters());
                adam = new AdamW(config.optimizer().adam(), policy.trained());
                adam.restore(c.optimizer());
                if (network) maskHead = MaskHeadTraining.restore(config.saliency(), c.maskHead(), config.optimizer().adam());
                firstStep = c.step();
                listener.message("resuming after step " + firstStep + " from its checkpoint in " + out.checkpoints());
            } else {
                policy = lora == null ? new DriverPolicy(start.copy(DataType.FLOAT), null)
                        : new DriverPolicy(null, LoraAdapters.init(modelConfig.model(), lora, config.seed(), DataType.FLOAT));
                adam = new AdamW(config.optimizer().adam(), policy.trained());
                if (network) {
                    maskHead = MaskHeadTraining.start(config.saliency(), modelConfig.model(), config.seed(),
                            config.optimizer().adam());
                }
                firstStep = 0;
            }
            // with LoRA the reference is the executors' base with the adapters off: no snapshot of it travels
            PolicySnapshot reference = config.grpo().needsReference() && lora == null
                    ? PolicySnapshot.of(-1, start, config.weightStorage()) : null;
            if (start != null) start.close();
            String runId = UUID.randomUUID().toString();
            Broadcast<RunResources> run = sc.broadcast(new RunResources(runId, modelConfig.toBytes(SafetensorsDType.F32),
                    companions.get(Tokenizer.TOKENIZER_FILE), companions.get(Tokenizer.CONFIG_FILE), reference,
                    ThreadBudget.perTask(sc.getConf(), config.partitions()),
                    lora == null ? null : modelFs.makeQualified(modelPath).toString(), lora, config.weightStorage()));
            RolloutScoring scoring = new RolloutScoring(config.grpo(), config.saliency(), saliencyOn,
                    config.sampling().params(stop), config.saliency().maxRowsPerPass(), config.partitions());
            LearningRateSchedule schedule = config.optimizer().schedule((long) config.steps() * config.grpo().mu());
            RunEvaluation evaluation = new RunEvaluation(sc, config, listener, run, data);
            List<String> metrics = new ArrayList<>(out.metricLinesUpTo(firstStep));
            PromptOrder order = new PromptOrder(data.train(), config.seed());

            EvalReport before = null, after = null;
            JsonNode keptBefore = RunSummaryFile.keptBefore(out);
            if (firstStep == 0) {
                before = evaluate(evaluation, policy, 0);
                keptBefore = before == null ? null : before.toJson();
            }
            try (RunSummaryFile summary = new RunSummaryFile(out, keptBefore, firstStep)) {
                long last = firstStep;
                // restored, so that a resumed run stops where the uninterrupted one would
                SkipStreak streak = new SkipStreak(restored.map(SparkTraining::skippedInARow).orElse(0),
                        config.optimizer().maxSkippedSteps());
                PolicyUpdate update = new PolicyUpdate(adam, schedule, config.optimizer().clipNorm(), config.partitions());
                for (long step = firstStep; step < config.steps() && (stopAfter < 0 || step < stopAfter); step++) {
                    StepOutcome outcome = step(sc, run, policy, update, maskHead, scoring, order, stop, step, streak);
                    streak = outcome.streak();
                    ObjectNode line = StepMetrics.line(outcome, config.grpo().needsReference());
                    if (streak.exceeded()) {
                        metrics.add(line.toString()); // the step that stopped the run is logged too
                        out.writeMetrics(metrics);
                        listener.step(new StepReport(outcome.step(), config.steps(), line, outcome.times().step()));
                        // after the step before this one: resuming retries this step's batch on the same weights
                        saveCheckpoint(store, step, modelConfig, policy, companions, adam, maskHead, streak.inARow() - 1);
                        summary.end(RunStatus.DIVERGED, null);
                        throw diverged(step, streak, store);
                    }
                    last = outcome.step();
                    boolean end = last == config.steps();
                    if (evaluation.dueAfter(last)) {
                        line.set("eval", evaluate(evaluation, policy, last).toJson());
                    }
                    metrics.add(line.toString());
                    out.writeMetrics(metrics);
                    summary.stepDone(last);
                    listener.step(new StepReport(last, config.steps(), line, outcome.times().step()));
                    int every = config.checkpoint().every();
                    if (end || (every > 0 && last % every == 0) || (stopAfter >= 0 && last == stopAfter)) {
                        saveCheckpoint(store, last, modelConfig, policy, companions, adam, maskHead, streak.inARow());
                    }
                }
                boolean finished = last == config.steps();
                if (finished) {
                    after = evaluate(evaluation, policy, last);
                    writeSamples(out, policy, data, modelFs, modelPath, modelConfig);
                    if (!out.fs().exists(out.model()) && lora != null) {
                        // the PEFT adapter directory where a full run's model directory would be (docs/design.md 3.4)
                        AdapterDirectory.save(out.fs(), out.model(), policy.adapters(), config.model(),
                                SafetensorsDType.F32);
                        if (maskHead != null) MaskHeadFiles.write(out.fs(), out.model(), maskHead.files());
                    } else if (!out.fs().exists(out.model())) {
                        MaskHeadTraining head = maskHead;
                        ModelDirectory.save(out.fs(), out.model(), modelConfig, policy.weights(), SaveOptions.of(SafetensorsDType.F32),
                                companions, (fs, dir) -> {
                                    if (head != null) MaskHeadFiles.write(fs, dir, head.files());
                                });
                    }
                }
                run.destroy();
                double seconds = (System.nanoTime() - started) / 1e9;
                RunStatus status = finished ? RunStatus.DONE : RunStatus.STOPPED;
                summary.end(status, after);
                policy.close();
                if (maskHead != null) maskHead.close();
                return new Outcome(firstStep, last, finished, before, after, seconds, out.root(), status);
            }
        }
    }

    /** Step {@code step} (0-based): its rollouts, gradient sums and updates, as {@link StepMetrics} logs them. */
    private StepOutcome step(JavaSparkContext sc, Broadcast<RunResources> run, DriverPolicy policy,
                             PolicyUpdate update, MaskHeadTraining maskHead, RolloutScoring scoring, PromptOrder order,
                             int stop, long step, SkipStreak before) {
        long t0 = System.nanoTime();
        int mu = config.grpo().mu();
        List<Problem> problems = new ArrayList<>(config.promptsPerStep());
        for (int slot = 0; slot < config.promptsPerStep(); slot++) {
            problems.add(order.at(step * config.promptsPerStep() + slot));
        }
        Long failStep = config.faults().failTaskStep();
        int failPartition = failStep != null && failStep == step ? config.faults().failTaskPartition() : -1;
        Broadcast<PolicySnapshot> start = sc.broadcast(snapshot(step * mu, policy));
        Broadcast<PolicySnapshot> head = maskHead == null ? null : sc.broadcast(maskHead.snapshot(step));
        double[] seconds = {(System.nanoTime() - t0) / 1e9, 0, 0}; // broadcast, job, reduction
        PolicyStep.Result updates = PolicyStep.run(mu, step, u -> {
            long b0 = System.nanoTime();
            Broadcast<PolicySnapshot> current = u == 0 ? start
                    : sc.broadcast(snapshot(step * mu + u, policy));
            long t1 = System.nanoTime();
            sc.setJobDescription("AtManRL step " + (step + 1) + "/" + config.steps()
                    + (u == 0 ? ": rollouts, saliency masks, gradient sums" : ": update " + (u + 1) + "/" + mu));
            List<TaskResult> results = TaskResultLimits.collect(sc.parallelize(problems, config.partitions())
                    .mapPartitionsWithIndex(new StepTaskFunction(run, start, current, head, scoring, stop, config.seed(),
                            step, u, u == 0 ? failPartition : -1), true), "step " + (step + 1));
            long t2 = System.nanoTime();
            TaskResult merged = TaskResult.sum(results);
            if (u > 0) current.destroy();
            seconds[0] += (t1 - b0) / 1e9;
            seconds[1] += (t2 - t1) / 1e9;
            seconds[2] += (System.nanoTime() - t2) / 1e9;
            return merged;
        }, config.faults().nanGradientAt(step) ? g -> g.gradients()[0][0] = config.faults().poisonAt(step) : null,
                update);
        start.destroy();
        double updateSeconds = updates.updateSeconds();
        HeadUpdate headUpdate = null;
        if (maskHead != null) {
            long h0 = System.nanoTime();
            headUpdate = maskHead.update(updates.rollouts().head()); // after the step: its tasks all read the head of its start
            head.destroy();
            updateSeconds += (System.nanoTime() - h0) / 1e9;
        }
        DriverTimes times = new DriverTimes(seconds[0], seconds[1], seconds[2], updateSeconds,
                (System.nanoTime() - t0) / 1e9);
        return new StepOutcome(step + 1, updates.rollouts(), updates.gradient(), updates.update(),
                before.after(updates.skipped()), times, headUpdate);
    }

    /**
     * The policy at {@code version} as the executors receive it: the adapters as floats (they train),
     * or the whole model with the matrices in bf16 when the executors store it so (weight_storage,
     * docs/design.md 3.4), rounded here once so the broadcast carries half their bytes.
     */
    private PolicySnapshot snapshot(long version, DriverPolicy policy) {
        return policy.adapters() != null ? PolicySnapshot.of(version, policy.trained())
                : PolicySnapshot.of(version, policy.weights(), config.weightStorage());
    }

    /** The evaluation after {@code step} steps, sharded over {@code partitions} Spark tasks like a training step. */
    private EvalReport evaluate(RunEvaluation evaluation, DriverPolicy policy, long step) {
        if (!evaluation.on()) return null;
        // the version the next step would broadcast: these weights, so executors that hold them copy nothing
        return evaluation.withSnapshot(step, snapshot(step * config.grpo().mu(), policy));
    }

    /** The heat maps' input for {@code atmanrl report}: a few test completions with their masks and AtMan reference. */
    private void writeSamples(RunDirectory out, DriverPolicy policy, Datasets.Dataset data, FileSystem modelFs,
                              Path modelPath, HfConfig modelConfig) throws IOException {
        int k = Math.min(config.eval().samples(), data.test().size());
        if (k == 0) return;
        if (ThreadBudget.localSlots(sc.master()) > 0) {
            ThreadBudget.apply(Runtime.getRuntime().availableProcessors()); // the driver's work: every core
        }
        listener.message(samplesMessage(k));
        SaliencySamples samples;
        // a LoRA run's base, read for these passes only (the driver keeps none while it trains)
        try (LlamaWeights base = policy.weights() != null ? null
                : ModelDirectory.readWeights(modelFs, modelPath, modelConfig.model(), DataType.FLOAT)) {
            samples = SaliencySamples.compute(policy.model(base), config.saliency(), data.encoder(),
                    data.test(), k, config.eval().maxNewTokens(), config.saliency().maxRowsPerPass());
        }
        out.write(RunDirectory.SALIENCY_SAMPLES, samples.toJson().toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The console's line before the saliency samples, in both modes. */
    static String samplesMessage(int k) {
        return "saliency samples: masks and AtMan reference on " + k + " test problems";
    }

    private void saveCheckpoint(CheckpointStore store, long step, HfConfig modelConfig, DriverPolicy policy,
                                Map<String, byte[]> companions, AdamW adam, MaskHeadTraining maskHead,
                                int skippedInARow) throws IOException {
        if (store.completeSteps().contains(step)) return;
        ObjectNode state = runState(config, step, adam.steps(), skippedInARow);
        // with LoRA the adapters and their optimizer state only: the base is the model directory's
        Checkpoint c = new Checkpoint(step, modelConfig, policy.adapters() == null ? policy.weights() : null,
                companions, adam.state(), JsonFiles.MAPPER.writeValueAsBytes(state),
                resolvedYaml.getBytes(StandardCharsets.UTF_8), maskHead == null ? null : maskHead.state(),
                policy.adapters());
        Path dir = store.save(c);
        listener.message("checkpoint " + dir);
    }

    /** A checkpoint's run_state.json, in every mode: where the run is, to resume it (docs/design.md 3.1). */
    static ObjectNode runState(TrainConfig config, long step, long optimizerSteps, int skippedInARow) {
        ObjectNode state = JsonFiles.MAPPER.createObjectNode();
        state.put("step", step).put("seed", config.seed())
                .put("data_position", step * config.promptsPerStep())
                .put("optimizer_steps", optimizerSteps)
                .put("skipped_in_a_row", skippedInARow);
        return state;
    }

    /** The streak of skipped updates a checkpoint ended in (0 for checkpoints written before it was kept). */
    private static int skippedInARow(Checkpoint c) {
        return skippedInARow(c.step(), c.runState());
    }

    static int skippedInARow(long step, byte[] runState) {
        try {
            return JsonFiles.MAPPER.readTree(runState).path("skipped_in_a_row").asInt(0);
        } catch (IOException e) {
            throw new UserInputException("checkpoint at step " + step + ": run_state.json does not parse: "
                    + e.getMessage());
        }
    }

    /** The one-line stop of a run whose skip streak was exceeded at 0-based {@code step}. */
    static DivergedRunException diverged(long step, SkipStreak streak, CheckpointStore store) {
        return new DivergedRunException(streak.stopMessage(step) + ", checkpointed in " + store.stepDirectory(step)
                + " (--resume retries step " + (step + 1) + ")");
    }

    /** A run with the mask network resumes only from a checkpoint that holds it (docs/design.md 2.6). */
    private void requireMaskHead(Checkpoint c, CheckpointStore store) {
        boolean needed = (config.saliency().alpha() > 0 || config.saliencyMetrics()) && config.saliency().network();
        if (needed && c.maskHead() == null) {
            throw new UserInputException("cannot resume: the checkpoint " + store.stepDirectory(c.step())
                    + " has no mask network (model/" + MaskHeadFiles.WEIGHTS + ", model/" + MaskHeadFiles.CONFIG
                    + ", mask_head_optimizer.safetensors), which saliency.mask network needs");
        }
    }

    /**
     * A LoRA run resumes only from adapters, a full run only from weights (docs/design.md 3.4): what
     * {@link #requireSameRun} finds already when both configs are there; this holds for a
     * checkpoint whose files and config.yaml disagree.
     */
    private void requireSameKind(Checkpoint c, CheckpointStore store) {
        boolean adapters = c.adapters() != null;
        if (adapters != config.lora().on()) {
            throw new UserInputException("cannot resume: the checkpoint " + store.stepDirectory(c.step()) + " holds "
                    + (adapters ? "LoRA adapters" : "the whole model's weights") + " but lora.rank is "
                    + config.lora().rank() + "; use a new output directory for a new config");
        }
    }

    /** A resumed run must be the same run: everything but the step count, schedule of saves and Spark settings. */
    private void requireSameRun(Checkpoint c) {
        requireSameRun(c.step(), c.config(), resolvedYaml);
    }

    static void requireSameRun(long step, byte[] savedConfig, String resolvedYaml) {
        requireSameRun(step, savedConfig, resolvedYaml, java.util.Set.of());
    }

    /** As above, where {@code alsoMayChange} may differ too (barrier mode's partitions, docs/design.md 3.5). */
    static void requireSameRun(long step, byte[] savedConfig, String resolvedYaml, java.util.Set<String> alsoMayChange) {
        List<String> differ = TrainConfigDiff.trainingKeys(new String(savedConfig, StandardCharsets.UTF_8), resolvedYaml,
                alsoMayChange);
        if (!differ.isEmpty()) {
            throw new UserInputException("cannot resume: the checkpoint at step " + step + " was trained with a"
                    + " different " + String.join(", ", differ) + "; use a new output directory for a new config");
        }
    }
}
