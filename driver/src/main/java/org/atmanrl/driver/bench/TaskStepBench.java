package org.atmanrl.driver.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.spark.ThreadBudget;
import org.atmanrl.driver.train.ShippedStartingModel;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.saliency.MaskHead;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code bench --task-step}: what saliency costs in the tasks of a training step on the demo config
 * (docs/design.md 2.6, "What a step pays for"), the measurement behind the mask network's 15%
 * budget. The demo's step (16 hinted prompts x G 8 on the shipped starting model, r_sal = N,
 * alpha 1) runs as its 2 tasks do under local Spark: side by side, each {@link TaskStep#run} on
 * 8 prompts with half the cores ({@code ThreadBudget}), on one shared model. Each mask source in
 * turn, alternating run by run so a change of load falls on all alike; every run repeats the same
 * step (same prompts and seed), so every variant does the same generation and the same gradient.
 * Per variant: the median wall seconds of the step's tasks (the timed figure) and, from the tasks'
 * {@link StepTimings} summed as {@code metrics.jsonl} sums them, the median share of saliency, and
 * the median count of buffers the reused-buffer pools allocated in a step.
 */
final class TaskStepBench {
    /** The demo's step: 16 prompts over 2 partitions. */
    static final int PROMPTS = 16, TASKS = 2;
    static final long SEED = 1, STEP = 3;
    static final String NETWORK = "task_step_network", NETWORK_ALL = "task_step_network_all",
            FITTED_K0 = "task_step_fitted_k0";

    private TaskStepBench() {
    }

    static List<Measurement> measure(RepeatedRun runs, java.nio.file.Path scratch) throws IOException {
        Configuration conf = new Configuration();
        Path dir = new Path(scratch.resolve("sft-hint").toUri());
        FileSystem fs = HadoopFiles.fileSystem(dir, conf);
        ShippedStartingModel.writeTo(fs, dir);
        TrainConfig base = TrainConfig.defaults().with("model", dir.toString()).with("data.task", "arithmetic-hint")
                .with("saliency.alpha", "1").with("saliency.reward_form", "n").with("saliency.audit_every", "0");
        TrainConfig network = base.with("saliency.mask", "network");
        List<String> names = List.of(NETWORK, NETWORK_ALL, FITTED_K0);
        List<TrainConfig> configs = List.of(network, network.with("saliency.head_rows", "0"),
                base.with("saliency.steps", "0"));
        try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, dir, DataType.FLOAT);
             Tokenizer tokenizer = Tokenizer.load(fs, dir)) {
            Datasets.Dataset data = Datasets.open(base.data(), conf, tokenizer);
            int stop = data.encoder().stopToken();
            List<List<Problem>> shards = new ArrayList<>();
            for (int task = 0; task < TASKS; task++) {
                List<Problem> shard = new ArrayList<>();
                for (int i = task * PROMPTS / TASKS; i < (task + 1) * PROMPTS / TASKS; i++) {
                    shard.add(data.train().draw(SEED, STEP, i));
                }
                shards.add(shard);
            }
            ThreadBudget.apply(Math.max(1, Runtime.getRuntime().availableProcessors() / TASKS));
            LlamaModel policy = new LlamaModel(loaded.weights());
            LlamaConfig c = policy.config();
            List<List<Step>> parts = new ArrayList<>();
            List<Runnable> works = new ArrayList<>();
            try (MaskHead head = MaskHead.init(c.hiddenSize(), network.saliency().headRank(),
                    c.numHiddenLayers() * c.numAttentionHeads(), network.saliency().theta0(), SEED, DataType.FLOAT)) {
                for (TrainConfig config : configs) {
                    List<Step> seen = new ArrayList<>();
                    parts.add(seen);
                    RolloutScoring scoring = new RolloutScoring(config.grpo(), config.saliency(), true,
                            config.sampling().params(stop), config.saliency().maxRowsPerPass(), TASKS);
                    MaskHead h = config.saliency().network() ? head : null;
                    works.add(() -> seen.add(step(policy, h, tokenizer, stop, scoring, shards)));
                }
                List<Timings> t = runs.alternate(names.stream().map(n -> "demo " + n).toList(), works);
                List<Measurement> out = new ArrayList<>();
                for (int v = 0; v < names.size(); v++) {
                    // the warm-up runs come first in the list; the timed ones are the last
                    List<Step> timed = parts.get(v).subList(parts.get(v).size() - t.get(v).seconds().size(),
                            parts.get(v).size());
                    out.add(measurement(names.get(v), configs.get(v), timed, t.get(v)));
                }
                return out;
            }
        }
    }

    /** One run of the step: its tasks' timings summed, and the buffers the pools allocated during it. */
    private record Step(StepTimings timings, long poolAllocations) {
    }

    /** The step's tasks side by side, as local Spark runs them. */
    private static Step step(LlamaModel policy, MaskHead head, Tokenizer tokenizer, int stop,
                                    RolloutScoring scoring, List<List<Problem>> shards) {
        ExecutorService pool = Executors.newFixedThreadPool(shards.size());
        long allocated = BufferPool.allocationsInAllPools();
        try {
            List<Future<TaskResult>> tasks = new ArrayList<>();
            for (List<Problem> shard : shards) {
                tasks.add(pool.submit(() -> {
                    try {
                        return TaskStep.run(policy, head, null, tokenizer, stop, scoring, shard, SEED, STEP);
                    } finally {
                        BufferPool.park(); // as ExecutorModels.release does at a Spark task's end
                    }
                }));
            }
            StepTimings sum = new StepTimings(0, 0, 0);
            for (Future<TaskResult> f : tasks) sum = sum.plus(f.get().timings());
            return new Step(sum, BufferPool.allocationsInAllPools() - allocated);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench --task-step interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("bench --task-step: a task failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static Measurement measurement(String metric, TrainConfig config, List<Step> steps, Timings t) {
        List<StepTimings> timed = steps.stream().map(Step::timings).toList();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("prompts", PROMPTS);
        d.put("tasks", TASKS);
        d.put("group_size", config.grpo().groupSize());
        d.put("mask", config.saliency().mask().name().toLowerCase());
        d.put("head_rows", config.saliency().network() ? config.saliency().headRows() : 0);
        d.put("saliency_steps", config.saliency().steps());
        d.put("generation_s", round(median(timed.stream().mapToDouble(StepTimings::generation).toArray())));
        d.put("saliency_s", round(median(timed.stream().mapToDouble(StepTimings::saliency).toArray())));
        d.put("gradient_s", round(median(timed.stream().mapToDouble(StepTimings::gradient).toArray())));
        d.put("saliency_share", round(median(timed.stream().mapToDouble(s -> s.saliency() / s.total()).toArray())));
        // misses of the reused buffers (docs/design.md 6.1): 0 once the pools fit every phase's shapes
        d.put("pool_allocations", median(steps.stream().mapToDouble(Step::poolAllocations).toArray()));
        return new Measurement("demo", metric, TASKS + " x " + PROMPTS / TASKS + " x G " + config.grpo().groupSize(), d,
                0, 0, t);
    }

    private static double median(double[] v) {
        return new Timings(java.util.Arrays.stream(v).boxed().toList()).median();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
