package org.atmanrl.driver.spark;

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
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.executor.eval.FaithfulnessConfig;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.GradientClipping;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.TaskDatasets;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.task.Problem;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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
                          double seconds, Path runDir) {
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
        CheckpointStore store = new CheckpointStore(out.fs(), out.checkpoints(), config.checkpoint().keepLast());

        Path modelPath = new Path(config.model());
        FileSystem modelFs = HadoopFiles.fileSystem(modelPath, hadoop);
        HfConfig modelConfig = ModelDirectory.readConfig(modelFs, modelPath);
        Map<String, byte[]> companions = ModelDirectory.companionFiles(modelFs, modelPath);
        TrainInputs.requireTokenizer(modelPath, companions);

        Optional<Checkpoint> restored = Optional.empty();
        if (resume && out.holdsRun()) {
            int stale = store.removeStaleTemporaries();
            if (stale > 0) listener.message("removed " + stale + " unfinished checkpoint(s) of an interrupted run");
            restored = store.loadNewest(DataType.FLOAT, listener::message);
            if (restored.isPresent()) {
                requireSameRun(restored.get());
                requireMaskHead(restored.get(), store);
            }
        }
        boolean saliencyOn = config.saliency().alpha() > 0 || config.saliencyMetrics();
        boolean network = saliencyOn && config.saliency().network();

        LlamaWeights policy;
        long firstStep;
        try (Tokenizer tokenizer = Tokenizer.fromJson(modelPath.toString(), companions.get(Tokenizer.TOKENIZER_FILE),
                companions.get(Tokenizer.CONFIG_FILE))) {
            TaskDatasets.TaskDataset data = TrainInputs.open(config, hadoop, tokenizer);
            TrainInputs.requireUsable(config, data, modelConfig.model().maxPositionEmbeddings());
            data.warnings().forEach(listener::message);
            int stop = data.encoder().stopToken();
            LlamaWeights start = ModelDirectory.readWeights(modelFs, modelPath, modelConfig.model(), DataType.FLOAT);
            // only now that every input has been read: a bad one leaves the output as it was
            out.write(RunDirectory.CONFIG, resolvedYaml.getBytes(StandardCharsets.UTF_8));
            AdamW adam;
            MaskHeadTraining maskHead = null;
            if (restored.isPresent()) {
                Checkpoint c = restored.get();
                policy = c.weights();
                adam = new AdamW(config.optimizer().adam(), policy.named());
                adam.restore(c.optimizer());
                if (network) maskHead = MaskHeadTraining.restore(config.saliency(), c.maskHead(), config.optimizer().adam());
                firstStep = c.step();
                listener.message("resuming after step " + firstStep + " from its checkpoint in " + out.checkpoints());
            } else {
                policy = start.copy(DataType.FLOAT);
                adam = new AdamW(config.optimizer().adam(), policy.named());
                if (network) {
                    maskHead = MaskHeadTraining.start(config.saliency(), modelConfig.model(), config.seed(),
                            config.optimizer().adam());
                }
                firstStep = 0;
            }
            PolicySnapshot reference = config.grpo().needsReference() ? PolicySnapshot.of(-1, start) : null;
            start.close();
            String runId = UUID.randomUUID().toString();
            Broadcast<RunResources> run = sc.broadcast(new RunResources(runId, modelConfig.toBytes(SafetensorsDType.F32),
                    companions.get(Tokenizer.TOKENIZER_FILE), companions.get(Tokenizer.CONFIG_FILE), reference,
                    ThreadBudget.perTask(sc.getConf(), config.partitions())));
            RolloutScoring scoring = new RolloutScoring(config.grpo(), config.saliency(), saliencyOn,
                    config.sampling().params(stop), config.saliency().maxRowsPerPass());
            LearningRateSchedule schedule = config.optimizer().schedule((long) config.steps() * config.grpo().mu());
            int rows = config.saliency().maxRowsPerPass();
            Evaluation evaluation = new Evaluation(config.saliency(), config.eval().maxNewTokens(), rows,
                    config.eval().faithfulness() ? FaithfulnessConfig.defaults(config.eval().maxNewTokens(), rows)
                            .withPolicySamples(config.eval().policySamples(), config.sampling().probeTemperature()) : null);
            List<String> metrics = new ArrayList<>(out.metricLinesUpTo(firstStep));
            PromptOrder order = new PromptOrder(data.train(), config.seed());

            EvalReport before = null, after = null;
            if (firstStep == 0) {
                before = evaluate(run, evaluation, policy, data, 0);
            }
            long last = firstStep;
            // restored, so that a resumed run stops where the uninterrupted one would
            int skippedInARow = restored.map(SparkTraining::skippedInARow).orElse(0);
            for (long step = firstStep; step < config.steps() && (stopAfter < 0 || step < stopAfter); step++) {
                ObjectNode line = step(sc, run, policy, adam, maskHead, schedule, scoring, order, stop, step,
                        skippedInARow);
                skippedInARow = line.path("skipped_in_a_row").asInt();
                if (skippedInARow > config.optimizer().maxSkippedSteps()) {
                    metrics.add(line.toString()); // the step that stopped the run is logged too
                    out.writeMetrics(metrics);
                    listener.step(new StepReport(step + 1, config.steps(), line, line.path("seconds").path("step").asDouble()));
                    // after the step before this one: resuming retries this step's batch on the same weights
                    saveCheckpoint(store, step, modelConfig, policy, companions, adam, maskHead, skippedInARow - 1);
                    throw diverged(step, skippedInARow, store);
                }
                last = step + 1;
                boolean end = last == config.steps();
                if (config.eval().every() > 0 && last % config.eval().every() == 0 && !end) {
                    line.set("eval", evaluate(run, evaluation, policy, data, last).toJson());
                }
                metrics.add(line.toString());
                out.writeMetrics(metrics);
                listener.step(new StepReport(last, config.steps(), line, line.path("seconds").path("step").asDouble()));
                int every = config.checkpoint().every();
                if (end || (every > 0 && last % every == 0) || (stopAfter >= 0 && last == stopAfter)) {
                    saveCheckpoint(store, last, modelConfig, policy, companions, adam, maskHead, skippedInARow);
                }
            }
            boolean finished = last == config.steps();
            if (finished) {
                after = evaluate(run, evaluation, policy, data, last);
                writeSamples(out, policy, data);
                if (!out.fs().exists(out.model())) {
                    MaskHeadTraining head = maskHead;
                    ModelDirectory.save(out.fs(), out.model(), modelConfig, policy, SaveOptions.of(SafetensorsDType.F32),
                            companions, (fs, dir) -> {
                                if (head != null) MaskHeadFiles.write(fs, dir, head.files());
                            });
                }
            }
            run.destroy();
            double seconds = (System.nanoTime() - started) / 1e9;
            Outcome outcome = new Outcome(firstStep, last, finished, before, after, seconds, out.root());
            if (finished) out.write(RunDirectory.SUMMARY, summaryJson(outcome).getBytes(StandardCharsets.UTF_8));
            policy.close();
            if (maskHead != null) maskHead.close();
            return outcome;
        }
    }

    private ObjectNode step(JavaSparkContext sc, Broadcast<RunResources> run, LlamaWeights policy, AdamW adam,
                            MaskHeadTraining maskHead, LearningRateSchedule schedule, RolloutScoring scoring,
                            PromptOrder order, int stop, long step, int skippedBefore) {
        long t0 = System.nanoTime();
        int mu = config.grpo().mu();
        List<Problem> problems = new ArrayList<>(config.promptsPerStep());
        for (int slot = 0; slot < config.promptsPerStep(); slot++) {
            problems.add(order.at(step * config.promptsPerStep() + slot));
        }
        Long failStep = config.faults().failTaskStep();
        int failPartition = failStep != null && failStep == step ? config.faults().failTaskPartition() : -1;
        Broadcast<PolicySnapshot> start = sc.broadcast(PolicySnapshot.of(step * mu, policy));
        Broadcast<PolicySnapshot> head = maskHead == null ? null : sc.broadcast(maskHead.snapshot(step));
        double broadcast = (System.nanoTime() - t0) / 1e9, job = 0, reduction = 0, updateTime = 0;
        TaskResult rollouts = null;
        NormalisedGradient gradient = null;
        GradientClipping.Result clip = null;
        double lr = 0;
        boolean skipped = false;
        for (int u = 0; u < mu; u++) {
            long b0 = System.nanoTime();
            Broadcast<PolicySnapshot> current = u == 0 ? start : sc.broadcast(PolicySnapshot.of(step * mu + u, policy));
            long t1 = System.nanoTime();
            sc.setJobDescription("AtManRL step " + (step + 1) + "/" + config.steps()
                    + (u == 0 ? ": rollouts, saliency masks, gradient sums" : ": update " + (u + 1) + "/" + mu));
            List<TaskResult> results = sc.parallelize(problems, config.partitions())
                    .mapPartitionsWithIndex(new StepTaskFunction(run, start, current, head, scoring, stop, config.seed(),
                            step, u, u == 0 ? failPartition : -1), true)
                    .collect();
            long t2 = System.nanoTime();
            TaskResult merged = TaskResult.sum(results);
            // rollout metrics come with the first update; task times add up over all of them
            rollouts = u == 0 ? merged : new TaskResult(rollouts.gradient(), rollouts.metrics(),
                    rollouts.timings().plus(merged.timings()), Math.max(rollouts.slowestTask(), merged.slowestTask()),
                    rollouts.tasks(), rollouts.masksCollapsed(), rollouts.head(), rollouts.audit());
            gradient = merged.gradient().normalise();
            if (config.faults().nanGradientAt(step)) {
                gradient.gradients()[0][0] = config.faults().poisonAt(step);
            }
            long t3 = System.nanoTime();
            clip = GradientClipping.clip(gradient.gradients(), config.optimizer().clipNorm());
            lr = schedule.at(step * mu + u);
            if (clip.finite()) {
                Map<String, INDArray> g = gradient.toArrays(DataType.FLOAT);
                adam.step(g, lr);
                g.values().forEach(INDArray::close);
            } else {
                skipped = true; // weights and optimizer state stay as they were; the step's other updates too
            }
            long t4 = System.nanoTime();
            if (u > 0) current.destroy();
            broadcast += (t1 - b0) / 1e9;
            job += (t2 - t1) / 1e9;
            reduction += (t3 - t2) / 1e9;
            updateTime += (t4 - t3) / 1e9;
            if (skipped) break;
        }
        start.destroy();
        ObjectNode headLine = null;
        if (maskHead != null) {
            long h0 = System.nanoTime();
            headLine = maskHead.update(rollouts.head()); // after the step: its tasks all read the head of its start
            head.destroy();
            updateTime += (System.nanoTime() - h0) / 1e9;
        }
        StepTimes times = new StepTimes(broadcast, job, reduction, updateTime, (System.nanoTime() - t0) / 1e9);
        ObjectNode line = StepMetrics.line(step + 1, rollouts, gradient, clip, lr, times, config.grpo().needsReference(),
                skippedBefore);
        if (headLine != null) {
            line.set("mask_head", headLine);
            if (rollouts.audit().rows() > 0) line.set("mask_audit", MaskHeadTraining.auditJson(rollouts.audit()));
        }
        return line;
    }

    /** The evaluation after {@code step} steps, sharded over {@code partitions} Spark tasks like a training step. */
    private EvalReport evaluate(Broadcast<RunResources> run, Evaluation evaluation, LlamaWeights policy,
                                TaskDatasets.TaskDataset data, long step) {
        if (config.eval().size() == 0) return null;
        sc.setJobDescription("AtManRL evaluation after step " + step);
        int n = Math.min(config.eval().size(), data.test().size());
        listener.message("evaluating on " + n + " test problems" + (step == 0 ? " before training" : " after step " + step)
                + (config.eval().faithfulness() ? ", with the faithfulness probes" : ""));
        List<Problem> problems = new ArrayList<>(n);
        for (int i = 0; i < n; i++) problems.add(data.test().get(i));
        // the version the next step would broadcast: these weights, so executors that hold them copy nothing
        PolicySnapshot snapshot = PolicySnapshot.of(step * config.grpo().mu(), policy);
        EvalReport r = SparkEvaluation.run(sc, run, snapshot, evaluation, data.encoder().stopToken(),
                data.test().name(), problems, config.partitions());
        listener.message(String.format("after step %d: test accuracy %.3f, N %.3f, C %.3f, r_sal %.4f (%.0f s)", step,
                r.accuracy(), r.meanNecessity(), r.meanCoverage(), r.meanSaliency(), r.seconds()));
        return r;
    }

    /** The heat maps' input for {@code atmanrl report}: a few test completions with their masks and AtMan reference. */
    private void writeSamples(RunDirectory out, LlamaWeights policy, TaskDatasets.TaskDataset data) throws IOException {
        int k = Math.min(config.eval().samples(), data.test().size());
        if (k == 0) return;
        if (ThreadBudget.localSlots(sc.master()) > 0) {
            ThreadBudget.apply(Runtime.getRuntime().availableProcessors()); // the driver's work: every core
        }
        listener.message("saliency samples: masks and AtMan reference on " + k + " test problems");
        SaliencySamples samples = SaliencySamples.compute(new LlamaModel(policy), config.saliency(), data.encoder(),
                data.test(), k, config.eval().maxNewTokens(), config.saliency().maxRowsPerPass());
        out.write(RunDirectory.SALIENCY_SAMPLES, samples.toJson().toString().getBytes(StandardCharsets.UTF_8));
    }

    private void saveCheckpoint(CheckpointStore store, long step, HfConfig modelConfig, LlamaWeights policy,
                                Map<String, byte[]> companions, AdamW adam, MaskHeadTraining maskHead,
                                int skippedInARow) throws IOException {
        if (store.completeSteps().contains(step)) return;
        ObjectNode state = JsonFiles.MAPPER.createObjectNode();
        state.put("step", step).put("seed", config.seed())
                .put("data_position", step * config.promptsPerStep())
                .put("optimizer_steps", adam.steps())
                .put("skipped_in_a_row", skippedInARow);
        Checkpoint c = new Checkpoint(step, modelConfig, policy, companions, adam.state(),
                JsonFiles.MAPPER.writeValueAsBytes(state), resolvedYaml.getBytes(StandardCharsets.UTF_8),
                maskHead == null ? null : maskHead.state());
        Path dir = store.save(c);
        listener.message("checkpoint " + dir);
    }

    /** The streak of skipped updates a checkpoint ended in (0 for checkpoints written before it was kept). */
    private static int skippedInARow(Checkpoint c) {
        try {
            return JsonFiles.MAPPER.readTree(c.runState()).path("skipped_in_a_row").asInt(0);
        } catch (IOException e) {
            throw new UserInputException("checkpoint at step " + c.step() + ": run_state.json does not parse: "
                    + e.getMessage());
        }
    }

    /** The one-line stop of a run whose last {@code skipped} steps, up to 0-based {@code step}, had no finite gradient. */
    private DivergedRunException diverged(long step, int skipped, CheckpointStore store) {
        long first = step + 2 - skipped, lastGood = step + 1 - skipped; // 1-based, as metrics.jsonl counts
        return new DivergedRunException("stopped at step " + (step + 1) + ": " + skipped + " steps in a row ("
                + (skipped == 1 ? "step " + first : "steps " + first + "-" + (step + 1)) + ") had a NaN or infinite"
                + " gradient, more than optimizer.max_skipped_steps " + config.optimizer().maxSkippedSteps()
                + "; their updates were skipped, so the weights and optimizer are "
                + (lastGood == 0 ? "the starting ones" : "those after step " + lastGood)
                + ", checkpointed in " + store.stepDirectory(step) + " (--resume retries step " + (step + 1) + ")");
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

    /** A resumed run must be the same run: everything but the step count, schedule of saves and Spark settings. */
    private void requireSameRun(Checkpoint c) {
        List<String> differ = TrainConfigDiff.trainingKeys(new String(c.config(), StandardCharsets.UTF_8), resolvedYaml);
        if (!differ.isEmpty()) {
            throw new UserInputException("cannot resume: the checkpoint at step " + c.step() + " was trained with a"
                    + " different " + String.join(", ", differ) + "; use a new output directory for a new config");
        }
    }

    private String summaryJson(Outcome o) {
        ObjectNode s = JsonFiles.MAPPER.createObjectNode();
        s.put("steps", o.lastStep()).put("seconds", o.seconds());
        if (o.before() != null) s.set("before", o.before().toJson());
        if (o.after() != null) s.set("after", o.after().toJson());
        return s.toPrettyString() + "\n";
    }
}
