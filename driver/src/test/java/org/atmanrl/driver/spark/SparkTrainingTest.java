package org.atmanrl.driver.spark;

import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.executor.eval.FaithfulnessConfig;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.model.io.AdapterDirectory;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ParquetTables;
import org.atmanrl.reward.data.Problem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Success$;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.step.DivergedRunException;
import org.atmanrl.driver.checkpoint.Checkpoint;
import org.atmanrl.driver.checkpoint.CheckpointStore;
import org.atmanrl.driver.checkpoint.MaskHeadFiles;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.driver.report.RunReport;
import org.atmanrl.executor.eval.SaliencySamples;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The training service on local Spark (two task threads, task retries on): a few steps end to
 * end, and the determinism of docs/design.md 3.1: the same config twice, a task failed once and
 * retried, and a stopped-then-resumed run all give bit-identical weights; one partition and two
 * agree to float rounding. And issue 6's numerical faults: a NaN or Inf gradient skips its step's
 * update; a streak of them stops the run with a checkpoint.
 */
class SparkTrainingTest {
    @TempDir
    static File base;
    static JavaSparkContext sc;
    static String model;
    static final AtomicInteger failedTasks = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        model = EasyTaskModel.directory();
        sc = SparkSetup.start(TrainConfig.defaults().spark(), "SparkTrainingTest");
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() != Success$.MODULE$) failedTasks.incrementAndGet();
            }
        });
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    static TrainConfig config(String out, String... sets) throws Exception {
        return EasyTaskRuns.config(base, model, out, sets);
    }

    static final List<String> messages = new ArrayList<>();

    static SparkTraining.Outcome train(TrainConfig c, boolean resume, long stopAfter) throws Exception {
        return EasyTaskRuns.train(sc, c, resume, stopAfter, messages);
    }

    static String out(String name) {
        return new File(base, name).getPath();
    }

    static byte[] weights(String run) throws Exception {
        return Files.readAllBytes(new File(run, "model/" + ModelDirectory.WEIGHTS).toPath());
    }

    static List<JsonNode> metrics(String run) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(new File(run, RunDirectory.METRICS).toPath())) {
            lines.add(JsonFiles.MAPPER.readTree(l));
        }
        return lines;
    }

    @Test
    void trainsEndToEndAndWritesTheRunDirectory() throws Exception {
        String run = out("e2e");
        SparkTraining.Outcome o = train(config(run), false, -1);
        assertTrue(o.finished());
        assertEquals(3, o.lastStep());
        List<JsonNode> m = metrics(run);
        assertEquals(3, m.size());
        for (String key : List.of("reward", "reward_std", "accuracy", "unparsed", "necessity", "coverage", "sufficiency",
                "r_sal", "loss", "grad_norm", "lr", "tokens", "zero_std_groups", "update_skipped")) {
            assertTrue(m.get(0).has(key), "metrics line lacks " + key + ": " + m.get(0));
        }
        for (String key : List.of("generation", "saliency", "gradient", "broadcast", "job", "reduction", "update", "step")) {
            assertTrue(m.get(0).path("seconds").has(key), "seconds lack " + key);
        }
        assertEquals(16, m.get(0).path("completions").asInt());
        assertTrue(m.stream().anyMatch(l -> l.path("grad_norm").asDouble() > 0), "no step had a gradient: " + m);
        assertTrue(m.stream().anyMatch(l -> l.path("accuracy").asDouble() > 0), "the fixture got nothing right: " + m);
        // the policy moved, and the saved model loads
        try (LlamaWeights start = load(model); LlamaWeights end = load(run + "/model")) {
            assertFalse(start.named().get("model.norm.weight").equals(end.named().get("model.norm.weight")));
        }
        assertTrue(new File(run, RunDirectory.SUMMARY).isFile());
        assertTrue(new File(run, RunDirectory.CONFIG).isFile());
        JsonNode dataFiles = JsonFiles.MAPPER.readTree(new File(run, DataFilesRecord.FILE));
        assertEquals(0, dataFiles.path("train").size() + dataFiles.path("test").size(), "arithmetic reads no file");
        String[] kept = new File(run, RunDirectory.CHECKPOINTS).list((d, n) -> n.startsWith("step-"));
        Arrays.sort(kept);
        assertArrayEquals(new String[] {"step-00000002", "step-00000003"}, kept);
        assertTrue(o.before() != null && o.after() != null);
        JsonNode summary = JsonFiles.MAPPER.readTree(new File(run, RunDirectory.SUMMARY));
        assertEquals(6, summary.path("after").path("faithfulness").path("early_answering").path("agreement").size(),
                "eval.faithfulness (on by default) puts the probes in the summary: " + summary);
        // eval.samples (4 by default): the heat maps' input, and a report drawn from the whole directory
        SaliencySamples samples = SaliencySamples.fromJson(
                JsonFiles.MAPPER.readTree(new File(run, RunDirectory.SALIENCY_SAMPLES)));
        assertEquals(4, samples.samples().size());
        for (SaliencySamples.Sample s : samples.samples()) {
            assertTrue(s.mask() == null || s.correct(), "a mask on a wrong completion: " + s.problem());
            assertFalse(s.tokens().isEmpty());
        }
        RunReport report = RunReport.read(new RunDirectory(HadoopFiles.fileSystem(new Path(new File(run).toURI()),
                new Configuration()), new Path(new File(run).toURI())), null);
        assertTrue(report.chartCaptions().containsAll(List.of("Reward", "r_sal", "Step time split", "Test evaluation")));
        assertTrue(report.html().contains(samples.samples().get(0).problem() + ": "));
    }

    /**
     * The evaluation sharded over Spark tasks (3 shards of 8 problems) is the single-process one: counts and the
     * faithfulness probes exactly (greedy, batch-independent), the saliency means to float
     * precision (the mask fit's float32 sums see other batches).
     */
    @Test
    void theShardedEvaluationEqualsTheSingleProcessOne() throws Exception {
        TrainConfig c = config(out("unused"));
        Path dir = new Path(new File(model).toURI());
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        Map<String, byte[]> companions = ModelDirectory.companionFiles(fs, dir);
        Evaluation evaluation = new Evaluation(c.saliency(), 32, 64, FaithfulnessConfig.defaults(32, 64));
        try (Tokenizer tokenizer = Tokenizer.load(fs, dir); LlamaWeights w = load(model)) {
            Datasets.Dataset data = TrainInputs.open(c, new Configuration(), tokenizer);
            EvalReport local = evaluation.run(new LlamaModel(w), data.encoder(), data.test(), 8);
            List<Problem> problems = new ArrayList<>();
            for (int i = 0; i < 8; i++) problems.add(data.test().get(i));
            org.apache.spark.broadcast.Broadcast<RunResources> run = sc.broadcast(new RunResources("eval-test",
                    ModelDirectory.readConfig(fs, dir).toBytes(SafetensorsDType.F32), companions.get(Tokenizer.TOKENIZER_FILE),
                    companions.get(Tokenizer.CONFIG_FILE), null, 1));
            EvalReport sharded = SparkEvaluation.run(sc, run, PolicySnapshot.of(0, w), evaluation,
                    data.encoder().stopToken(), data.test().name(), problems, 3);
            run.destroy();
            assertEquals(local.faithfulness().toJson(), sharded.faithfulness().toJson());
            assertEquals(List.of(local.problems(), local.correct(), local.unparsed(), local.fitted()),
                    List.of(sharded.problems(), sharded.correct(), sharded.unparsed(), sharded.fitted()));
            assertTrue(local.faithfulness().earlyAnswering().probed() > 0, "nothing probed: " + local.toJson());
            assertEquals(local.meanCoverage(), sharded.meanCoverage(), 1e-4);
            assertEquals(local.meanSaliency(), sharded.meanSaliency(), 1e-4);
        }
    }

    @Test
    void sameConfigTwiceGivesBitIdenticalWeights() throws Exception {
        train(config(out("twice-a")), false, -1);
        train(config(out("twice-b")), false, -1);
        assertArrayEquals(weights(out("twice-a")), weights(out("twice-b")));
        assertEquals(metrics(out("twice-a")).toString().replaceAll("\"seconds\":\\{[^}]*}", ""),
                metrics(out("twice-b")).toString().replaceAll("\"seconds\":\\{[^}]*}", ""));
    }

    @Test
    void aTaskThatFailsOnceAndIsRetriedChangesNothing() throws Exception {
        train(config(out("undisturbed")), false, -1);
        int before = failedTasks.get();
        train(config(out("faulty"), "faults.fail_task_step=1", "faults.fail_task_partition=1"), false, -1);
        assertEquals(before + 1, failedTasks.get(), "the injected fault did not fail a task");
        assertArrayEquals(weights(out("undisturbed")), weights(out("faulty")));
    }

    /** mu = 2: each step's second update reuses the shard its executor kept, under the updated policy. */
    @Test
    void twoUpdatesPerBatchAreDeterministicAndDifferFromOne() throws Exception {
        train(config(out("mu2-a"), "grpo.mu=2", "steps=2"), false, -1);
        train(config(out("mu2-b"), "grpo.mu=2", "steps=2", "faults.fail_task_step=1", "faults.fail_task_partition=0"),
                false, -1);
        train(config(out("mu1"), "steps=2"), false, -1);
        assertArrayEquals(weights(out("mu2-a")), weights(out("mu2-b")));
        assertFalse(Arrays.equals(weights(out("mu2-a")), weights(out("mu1"))), "the second update changed nothing");
        assertEquals(metrics(out("mu2-a")).get(0).path("accuracy"), metrics(out("mu1")).get(0).path("accuracy"));
    }

    @Test
    void aStoppedAndResumedRunEndsBitIdentical() throws Exception {
        String whole = out("whole"), parts = out("parts");
        train(config(whole, "steps=4"), false, -1);
        SparkTraining.Outcome first = train(config(parts, "steps=4"), false, 2);
        assertFalse(first.finished());
        assertFalse(new File(parts, "model").exists());
        SparkTraining.Outcome second = train(config(parts, "steps=4"), true, -1);
        assertEquals(2, second.firstStep());
        assertArrayEquals(weights(whole), weights(parts));
        assertEquals(4, metrics(parts).size());
    }

    static final String[] NETWORK = {"saliency.mask=network", "saliency.audit_every=2", "steps=4"};

    static byte[] headFile(String run) throws Exception {
        return Files.readAllBytes(new File(run, "model/" + MaskHeadFiles.WEIGHTS).toPath());
    }

    /**
     * The mask network (docs/design.md 2.6) trains with the policy and gives the same bytes twice,
     * through a retried task and through a stop and resume; it lands beside the HF files, in every
     * checkpoint with its optimizer, and in the metrics with its audit.
     */
    @Test
    void theMaskNetworkTrainsBitIdenticallyThroughARetryAndAResume() throws Exception {
        String whole = out("net-whole"), faulty = out("net-faulty"), parts = out("net-parts");
        train(config(whole, NETWORK), false, -1);
        int before = failedTasks.get();
        List<String> withFault = new ArrayList<>(List.of(NETWORK));
        withFault.addAll(List.of("faults.fail_task_step=1", "faults.fail_task_partition=1"));
        train(config(faulty, withFault.toArray(new String[0])), false, -1);
        assertEquals(before + 1, failedTasks.get(), "the injected fault did not fail a task");
        train(config(parts, NETWORK), false, 2);
        assertEquals(2, train(config(parts, NETWORK), true, -1).firstStep());
        for (String other : List.of(faulty, parts)) {
            assertArrayEquals(weights(whole), weights(other), other);
            assertArrayEquals(headFile(whole), headFile(other), other);
            assertArrayEquals(checkpointFile(whole, 4, "mask_head_optimizer.safetensors"),
                    checkpointFile(other, 4, "mask_head_optimizer.safetensors"), other);
        }
        JsonNode config = JsonFiles.MAPPER.readTree(new File(whole, "model/" + MaskHeadFiles.CONFIG));
        assertEquals(16, config.path("rank").asInt());
        List<JsonNode> lines = metrics(whole);
        assertEquals(4, lines.size());
        int trained = 0;
        for (JsonNode l : lines) {
            JsonNode h = l.path("mask_head");
            boolean rows = h.path("rows").asLong() > 0;
            assertEquals(!rows, h.path("update_skipped").asBoolean(), l.toString());
            if (rows && h.path("grad_norm").asDouble() > 0) trained++;
            assertEquals(rows && l.path("step").asLong() % 2 == 1, l.has("mask_audit"), l.toString());
        }
        assertTrue(trained > 0, "no step trained the mask network");
        assertTrue(lines.get(0).path("mask_audit").path("rows").asLong() > 0);
        assertEquals(metrics(whole).toString().replaceAll("\"seconds\":\\{[^}]*}", ""),
                metrics(parts).toString().replaceAll("\"seconds\":\\{[^}]*}", ""));
        // the head trained: its key projection B starts at zero
        MaskHeadFiles.Head head = MaskHeadFiles.read(HadoopFiles.fileSystem(new Path(whole), new Configuration()),
                new Path(whole, "model"), 128, 16);
        float[] key = head.weights().values(1);
        double sum = 0;
        for (float k : key) sum += Math.abs(k);
        assertTrue(sum > 0, "the mask network's B is still zero");
    }

    /** LoRA on (docs/design.md 3.4) with dropout and the KL term, whose reference is the base with the adapters off. */
    static final String[] LORA = {"lora.rank=4", "lora.alpha=8", "lora.dropout=0.1", "grpo.beta=0.04", "steps=4",
        "eval.faithfulness=false", "eval.samples=1"};

    static String[] lora(String... more) {
        List<String> sets = new ArrayList<>(List.of(LORA));
        sets.addAll(List.of(more));
        return sets.toArray(new String[0]);
    }

    static byte[] adapterFile(String run) throws Exception {
        return Files.readAllBytes(new File(run, "model/" + AdapterDirectory.WEIGHTS).toPath());
    }

    /**
     * A LoRA run trains only its adapters and gives the same bytes twice, through a retried task
     * and through a stop and resume; the base is never written; the run's model/ is a PEFT
     * adapter directory, which {@code merge} turns into a plain HF directory whose log-probs are
     * the adapted model's.
     */
    @Test
    void aLoraRunTrainsOnlyItsAdaptersBitIdenticallyThroughARetryAndAResume() throws Exception {
        byte[] baseBefore = Files.readAllBytes(new File(model, ModelDirectory.WEIGHTS).toPath());
        String whole = out("lora-whole"), faulty = out("lora-faulty"), parts = out("lora-parts");
        train(config(whole, LORA), false, -1);
        int before = failedTasks.get();
        train(config(faulty, lora("faults.fail_task_step=1", "faults.fail_task_partition=1")), false, -1);
        assertEquals(before + 1, failedTasks.get(), "the injected fault did not fail a task");
        train(config(parts, LORA), false, 2);
        assertEquals(2, train(config(parts, LORA), true, -1).firstStep());
        for (String other : List.of(faulty, parts)) {
            assertArrayEquals(adapterFile(whole), adapterFile(other), other);
            assertArrayEquals(checkpointFile(whole, 4, "optimizer.safetensors"),
                    checkpointFile(other, 4, "optimizer.safetensors"), other);
        }
        assertArrayEquals(baseBefore, Files.readAllBytes(new File(model, ModelDirectory.WEIGHTS).toPath()),
                "the base changed");
        assertFalse(new File(whole, "model/" + ModelDirectory.WEIGHTS).exists(), "a LoRA run wrote full weights");
        assertFalse(new File(whole, RunDirectory.CHECKPOINTS + "/step-00000004/model/" + ModelDirectory.WEIGHTS).exists(),
                "a LoRA checkpoint holds full weights");
        assertTrue(metrics(whole).stream().anyMatch(l -> l.path("grad_norm").asDouble() > 0), "no adapter gradient");

        Path adapterDir = new Path(new File(whole, "model").toURI());
        Path baseDir = new Path(new File(model).toURI());
        FileSystem fs = HadoopFiles.fileSystem(adapterDir, new Configuration());
        String merged = out("lora-merged");
        StringWriter said = new StringWriter();
        picocli.CommandLine cl = org.atmanrl.driver.Main.commandLine();
        cl.setOut(new PrintWriter(said));
        cl.setErr(new PrintWriter(said));
        assertEquals(0, cl.execute("merge", "--adapter", adapterDir.toString(), "--base", model, "--out", merged),
                said.toString());
        try (LlamaWeights base = load(model); LlamaWeights plain = load(merged);
             AdapterDirectory.Loaded a = AdapterDirectory.load(fs, adapterDir, base.config(), DataType.FLOAT)) {
            double bNorm = 0;
            for (var e : a.adapters().named().entrySet()) {
                if (e.getKey().contains("lora_B")) bNorm += e.getValue().norm2Number().doubleValue();
            }
            assertTrue(bNorm > 0, "the adapters did not train: every B is still 0");
            TokenBatch tb = TokenBatch.forScoring(List.of(new int[] {1, 5, 9, 13, 17, 21, 3}, new int[] {2, 4, 6, 8}));
            double[] adapted = new LlamaModel(base, a.adapters()).logProbs(tb, null);
            double[] plainLp = new LlamaModel(plain).logProbs(tb, null);
            double worst = 0;
            for (int i = 0; i < adapted.length; i++) worst = Math.max(worst, Math.abs(adapted[i] - plainLp[i]));
            assertTrue(worst <= 1e-5, "merged and adapted log-probs differ by " + worst);
            assertFalse(Arrays.equals(new LlamaModel(base).logProbs(tb, null), adapted), "the adapters change nothing");
        }
        // eval and report read the run's adapter directory as its base with the adapters merged in
        StringWriter evalOut = new StringWriter();
        cl.setOut(new PrintWriter(evalOut));
        assertEquals(0, cl.execute("eval", "--model", new File(whole, "model").getPath(), "--size", "2",
                "--no-saliency", "--no-faithfulness", "--max-new-tokens", "8"), evalOut + " " + said);
        assertEquals(0, cl.execute("report", whole, "--model", new File(whole, "model").getPath(), "--samples", "1"),
                said.toString());
        assertTrue(new File(whole, org.atmanrl.driver.report.ReportCommand.DEFAULT_NAME).isFile());
        // merge never writes over an input
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(1, cl.execute("merge", "--adapter", adapterDir.toString(), "--base", model, "--out",
                new File(whole, "model/merged").getPath()));
        assertTrue(err.toString().contains("merge never writes over its inputs") && err.toString().strip().lines().count() == 1,
                err.toString());
    }

    /**
     * weight_storage bf16 (docs/design.md 3.4, "bf16 storage"): executors that keep the LoRA base in
     * bf16 (also the reference, beta > 0) train, bit for bit, the adapters that a run on an fp32 base
     * of the same rounded values trains: widening bf16 to fp32 is exact. The default f32 run on the
     * unrounded base trains other adapters, so the key does reach the executors.
     */
    @Test
    void aBf16BaseTrainsTheAdaptersOfAnFp32BaseOfTheSameRoundedValues() throws Exception {
        String rounded = roundedModel(out("bf16-rounded-model"));
        String narrow = out("lora-bf16"), wide = out("lora-rounded-f32"), plain = out("lora-f32");
        train(config(narrow, lora("weight_storage=bf16", "eval.samples=0", "steps=2")), false, -1);
        train(config(wide, lora("model=" + rounded, "eval.samples=0", "steps=2")), false, -1);
        train(config(plain, lora("eval.samples=0", "steps=2")), false, -1);
        assertArrayEquals(adapterFile(wide), adapterFile(narrow), "a bf16 base against fp32 of its values");
        assertFalse(Arrays.equals(adapterFile(plain), adapterFile(narrow)), "the rounding must show");
    }

    /** The test model with every matrix rounded to bf16 and widened back, saved as fp32 in {@code dir}. */
    static String roundedModel(String dir) throws Exception {
        Path from = new Path(new File(model).toURI()), to = new Path(new File(dir).toURI());
        FileSystem fs = HadoopFiles.fileSystem(to, new Configuration());
        try (ModelDirectory.Loaded m = ModelDirectory.load(fs, from, DataType.FLOAT);
             LlamaWeights stored = m.weights().bf16Copy(); LlamaWeights widened = stored.copy(DataType.FLOAT)) {
            ModelDirectory.save(fs, to, m.config(), widened, org.atmanrl.model.io.SaveOptions.of(SafetensorsDType.F32),
                    ModelDirectory.companionFiles(fs, from));
        }
        return dir;
    }

    /**
     * weight_storage bf16 without LoRA (docs/design.md 3.4, "bf16 storage"): the policy and the
     * reference (beta > 0) travel as bf16 snapshots, rounded on the driver, through Spark's Kryo; the
     * executors then hold exactly the values of an fp32 run from the model rounded to bf16, so the first
     * step, computed on them, logs the same numbers to the last bit (after it the driver's fp32
     * masters differ: the bf16 run steps the unrounded ones).
     */
    @Test
    void aBf16BroadcastGivesTheExecutorsTheRoundedModelExactly() throws Exception {
        String rounded = roundedModel(out("bf16-rounded-whole"));
        String narrow = out("whole-bf16"), wide = out("whole-rounded-f32");
        train(config(narrow, "weight_storage=bf16", "grpo.beta=0.04", "steps=1", "eval.samples=0"), false, -1);
        train(config(wide, "model=" + rounded, "grpo.beta=0.04", "steps=1", "eval.samples=0"), false, -1);
        com.fasterxml.jackson.databind.node.ObjectNode a = (com.fasterxml.jackson.databind.node.ObjectNode) metrics(narrow).get(0);
        com.fasterxml.jackson.databind.node.ObjectNode b = (com.fasterxml.jackson.databind.node.ObjectNode) metrics(wide).get(0);
        a.remove("seconds");
        b.remove("seconds");
        assertTrue(a.get("grad_norm").asDouble() > 0, a.toString());
        assertEquals(b, a, "the first step on bf16 snapshots against fp32 of their values");
    }

    /** A checkpoint trained with another lora setting is refused on resume, in one line naming the key. */
    @Test
    void aCheckpointWithAnotherLoraSettingIsRefusedInOneLine() throws Exception {
        String run = out("lora-refused");
        train(config(run, LORA), false, 1);
        UserInputException e = assertThrows(UserInputException.class,
                () -> train(config(run, lora("lora.rank=0")), true, -1));
        assertTrue(e.getMessage().startsWith("cannot resume") && e.getMessage().contains("lora.rank")
                && !e.getMessage().contains("\n"), e.getMessage());
        assertEquals(1, metrics(run).size(), "the refused resume wrote to the run");
    }

    /** A checkpoint without the head's files cannot resume a run with the mask network: one line says so. */
    @Test
    void aCheckpointWithoutTheMaskNetworkIsRefusedOnResume() throws Exception {
        String run = out("net-headless");
        train(config(run, NETWORK), false, 1);
        Path checkpoints = new Path(run, RunDirectory.CHECKPOINTS);
        FileSystem fs = HadoopFiles.fileSystem(checkpoints, new Configuration());
        CheckpointStore store = new CheckpointStore(fs, checkpoints, 2);
        try (Checkpoint c = store.loadNewest(DataType.FLOAT, m -> { }).orElseThrow()) {
            assertTrue(c.maskHead() != null);
            fs.delete(store.stepDirectory(c.step()), true);
            store.save(new Checkpoint(c.step(), c.modelConfig(), c.weights(), c.modelFiles(), c.optimizer(),
                    c.runState(), c.config()));
        }
        UserInputException e = assertThrows(UserInputException.class, () -> train(config(run, NETWORK), true, -1));
        assertTrue(e.getMessage().contains("has no mask network") && !e.getMessage().contains("\n"), e.getMessage());
        assertEquals(1, metrics(run).size(), "the refused resume wrote to the run");
    }

    @Test
    void resumingWithADifferentTrainingConfigIsRefused() throws Exception {
        String run = out("refuse-resume");
        train(config(run), false, 1);
        UserInputException e = assertThrows(UserInputException.class,
                () -> train(config(run, "saliency.alpha=0.25"), true, -1));
        assertTrue(e.getMessage().contains("saliency.alpha"), e.getMessage());
    }

    @Test
    void anOutputHoldingAnotherRunIsNotOverwritten() throws Exception {
        String run = out("taken");
        train(config(run), false, 1);
        byte[] metricsBefore = Files.readAllBytes(new File(run, RunDirectory.METRICS).toPath());
        UserInputException e = assertThrows(UserInputException.class, () -> train(config(run), false, -1));
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
        assertArrayEquals(metricsBefore, Files.readAllBytes(new File(run, RunDirectory.METRICS).toPath()));
    }

    /**
     * One task and two compute the same rollouts (each row's draws are keyed by prompt id and
     * rollout, not by its batch) but add the gradient in different groupings and pad batches
     * differently (mask fits too, so r_sal agrees to about 1e-8), so weights agree only to rounding,
     * and the rewards must be equal. AdamW divides each gradient by its own RMS, so a weight whose
     * gradient is rounding noise (an advantage-weighted sum that cancels to ~1e-17) takes a step of
     * up to lr whose sign the grouping decides: after 3 steps at lr 1e-3, at most 0.1% of the
     * weights may differ by more than 1e-6, and none by a whole step (lr). Measured 2026-12-03: 322
     * of 797,696 past 1e-6 (0.04%), the largest 2.3e-4 (OPENBLAS_CORETYPE Haswell, OPENBLAS_L2_SIZE
     * 512 in the environment), where an earlier session's machine had measured 9e-6 at most and
     * the test bounded every weight by 1e-4; the same commit failed that bound here, so what
     * differs is the machine or its BLAS settings, not the code. A wrong reduction moves most
     * weights by a step or more.
     */
    @Test
    void oneAndTwoPartitionsAgreeWithinRounding() throws Exception {
        train(config(out("p1"), "partitions=1"), false, -1);
        train(config(out("p2"), "partitions=2"), false, -1);
        List<JsonNode> m1 = metrics(out("p1")), m2 = metrics(out("p2"));
        for (int i = 0; i < m1.size(); i++) {
            // the same completions, so the same outcome rewards; r_sal differs by the masks' rounding
            assertEquals(m1.get(i).path("accuracy").asDouble(), m2.get(i).path("accuracy").asDouble(), 0, "step " + (i + 1));
            assertEquals(m1.get(i).path("completion_length/mean").asDouble(),
                    m2.get(i).path("completion_length/mean").asDouble(), 0, "step " + (i + 1));
            assertEquals(m1.get(i).path("reward").asDouble(), m2.get(i).path("reward").asDouble(), 1e-6, "step " + (i + 1));
            assertEquals(m1.get(i).path("grad_norm").asDouble(), m2.get(i).path("grad_norm").asDouble(),
                    1e-4 * m1.get(i).path("grad_norm").asDouble(), "step " + (i + 1));
        }
        double worst = 0;
        long weights = 0, apart = 0;
        try (LlamaWeights a = load(out("p1") + "/model"); LlamaWeights b = load(out("p2") + "/model")) {
            for (String name : a.named().keySet()) {
                INDArray d = Transforms.abs(a.named().get(name).sub(b.named().get(name)), false);
                worst = Math.max(worst, d.maxNumber().doubleValue());
                apart += d.gt(1e-6).castTo(DataType.INT).sumNumber().longValue();
                weights += d.length();
            }
        }
        System.out.printf("P=1 vs P=2 after 3 steps: %d of %d weights differ by more than 1e-6, the largest by %.3g%n",
                apart, weights, worst);
        assertTrue(apart <= weights / 1000, apart + " of " + weights + " weights differ by more than 1e-6");
        assertTrue(worst < 1e-3, "P=1 and P=2 weights differ by " + worst + ", a whole step at lr 1e-3");
    }

    /**
     * grpo.micro_batch_rows on Spark (docs/design.md 6.1): a task's gradient in ranges of 3 rows is
     * bit-identical through a failed and retried task, and agrees with the one-pass run within
     * rounding: the same rewards and, at every step, the reduced gradient's norm within 1e-4
     * relative. The weights are not compared: ranges pad to their own longest row, so their sums
     * round differently (about 1e-7 relative), and AdamW turns a rounding-sized gradient into a
     * step of up to lr (measured: 1.1e-4 apart after 3 steps at lr 1e-3, against 9e-6 for P=1
     * against P=2, whose passes keep their padding).
     */
    @Test
    void microBatchedGradientsAreDeterministicAndAgreeWithOnePass() throws Exception {
        train(config(out("micro"), "grpo.micro_batch_rows=3"), false, -1);
        train(config(out("micro-retried"), "grpo.micro_batch_rows=3", "faults.fail_task_step=1",
                "faults.fail_task_partition=1"), false, -1);
        assertArrayEquals(weights(out("micro")), weights(out("micro-retried")));
        train(config(out("one-pass")), false, -1);
        List<JsonNode> m = metrics(out("micro")), one = metrics(out("one-pass"));
        for (int i = 0; i < m.size(); i++) {
            assertEquals(one.get(i).path("reward").asDouble(), m.get(i).path("reward").asDouble(), 1e-6, "step " + (i + 1));
            assertEquals(one.get(i).path("grad_norm").asDouble(), m.get(i).path("grad_norm").asDouble(),
                    1e-4 * one.get(i).path("grad_norm").asDouble(), "step " + (i + 1));
        }
    }

    /** A file of the checkpoint after (1-based) {@code step} of {@code run}. */
    static byte[] checkpointFile(String run, long step, String file) throws Exception {
        return Files.readAllBytes(new File(run, String.format("%s/step-%08d/%s", RunDirectory.CHECKPOINTS, step, file))
                .toPath());
    }

    static List<Object> column(List<JsonNode> lines, String key) {
        return lines.stream().map(l -> (Object) l.path(key).asText()).toList();
    }

    /**
     * Issue 6 item 5: a NaN gradient in (0-based) step 1 skips that update, so the checkpoint after
     * it holds the same weights and AdamW moments (and step count) as the one before; the next step
     * trains again and the streak is over.
     */
    @Test
    void aNonFiniteGradientSkipsTheUpdateAndLeavesWeightsAndOptimizerAsTheyWere() throws Exception {
        String run = out("nan");
        assertTrue(train(config(run, "faults.nan_gradient_step=1", "checkpoint.keep_last=3"), false, -1).finished());
        List<JsonNode> m = metrics(run);
        assertEquals(List.of("false", "true", "false"), column(m, "update_skipped"));
        assertEquals(List.of("0", "1", "0"), column(m, "skipped_in_a_row"));
        assertEquals("NaN", m.get(1).path("grad_norm").asText());
        String weights = "model/" + ModelDirectory.WEIGHTS, optimizer = "optimizer.safetensors";
        assertArrayEquals(checkpointFile(run, 1, weights), checkpointFile(run, 2, weights));
        assertArrayEquals(checkpointFile(run, 1, optimizer), checkpointFile(run, 2, optimizer));
        assertFalse(Arrays.equals(checkpointFile(run, 2, weights), checkpointFile(run, 3, weights)),
                "the step after the skipped one trained");
    }

    /**
     * More skipped steps in a row than optimizer.max_skipped_steps: the run stops with one line and
     * a checkpoint of the last good weights (those of a run stopped after step 1), from which a
     * resume with the same fault stops again at once (the streak is in the checkpoint) and one
     * without it finishes. The streak is a NaN and then an Inf, so both are caught.
     */
    @Test
    void tooManySkippedStepsInARowStopTheRunWithACheckpointToResumeFrom() throws Exception {
        String run = out("diverged"), reference = out("stopped-after-1");
        String[] base = {"steps=4", "checkpoint.every=0", "optimizer.max_skipped_steps=1"};
        String[] streak = {"steps=4", "checkpoint.every=0", "optimizer.max_skipped_steps=1", "faults.nan_gradient_step=1",
            "faults.nan_gradient_count=2"};
        DivergedRunException e = assertThrows(DivergedRunException.class, () -> train(config(run, streak), false, -1));
        for (String part : List.of("stopped at step 3: 2 steps in a row (steps 2-3) had a NaN or infinite gradient",
                "more than optimizer.max_skipped_steps 1", "weights and optimizer are those after step 1",
                "step-00000002", "--resume retries step 3")) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        List<JsonNode> m = metrics(run);
        assertEquals(List.of("false", "true", "true"), column(m, "update_skipped"));
        assertEquals(List.of("0", "1", "2"), column(m, "skipped_in_a_row"));
        assertEquals(List.of("NaN", "Infinity"), column(m, "grad_norm").subList(1, 3), "an infinite norm is caught too");
        assertArrayEquals(new String[] {"step-00000002"}, new File(run, RunDirectory.CHECKPOINTS).list());
        assertFalse(new File(run, RunDirectory.MODEL).exists());
        JsonNode diverged = JsonFiles.MAPPER.readTree(new File(run, RunDirectory.SUMMARY));
        assertEquals("diverged", diverged.path("status").asText(), "summary.json says why the run stopped");
        assertEquals(2, diverged.path("steps").asInt(), "the last good step");

        train(config(reference, base), false, 1);
        assertEquals("stopped", JsonFiles.MAPPER.readTree(new File(reference, RunDirectory.SUMMARY)).path("status")
                .asText(), "a planned stop says so");
        String weights = "model/" + ModelDirectory.WEIGHTS, optimizer = "optimizer.safetensors";
        assertArrayEquals(checkpointFile(reference, 1, weights), checkpointFile(run, 2, weights));
        assertArrayEquals(checkpointFile(reference, 1, optimizer), checkpointFile(run, 2, optimizer));

        DivergedRunException again = assertThrows(DivergedRunException.class, () -> train(config(run, streak), true, -1));
        assertTrue(again.getMessage().contains("stopped at step 3: 2 steps in a row"), again.getMessage());
        SparkTraining.Outcome resumed = train(config(run, base), true, -1);
        assertEquals(2, resumed.firstStep());
        assertTrue(resumed.finished());
        assertEquals(List.of("false", "true", "false", "false"), column(metrics(run), "update_skipped"));
    }

    /**
     * Issue 20.1: a GSM8K run reads its training rows from a partitioned Parquet directory (Spark's
     * layout, _SUCCESS beside it) on the driver, records every file it read in data_files.json, and
     * a resume over changed files warns in one line and records the files as they now are.
     */
    @Test
    void aRunTrainsOnAPartitionedParquetDirectoryAndRecordsTheFilesItRead() throws Exception {
        String run = out("tables");
        java.nio.file.Path train = new File(base, "tables-data/train").toPath();
        ParquetTables.gsm8k(train.resolve("dt=2026-12-01/part-0.parquet"), new String[] {"What is 12+13?", "#### 25"},
                new String[] {"What is 21+14?", "#### 35"}, new String[] {"What is 16+11?", "#### 27"});
        ParquetTables.gsm8k(train.resolve("dt=2026-12-02/part-0.parquet"), new String[] {"What is 10+19?", "#### 29"});
        Files.writeString(train.resolve("_SUCCESS"), "");
        java.nio.file.Path test = train.resolveSibling("test.jsonl");
        Files.writeString(test, "{\"question\": \"What is 11+11?\", \"answer\": \"#### 22\"}\n"
                + "{\"question\": \"What is 13+12?\", \"answer\": \"#### 25\"}\n");
        String[] sets = {"data.task=gsm8k", "data.train=" + train, "data.test=" + test, "steps=2", "eval.size=2",
                "data.test_size=2"};
        SparkTraining.Outcome first = train(config(run, sets), false, 1);
        assertFalse(first.finished());
        JsonNode files = JsonFiles.MAPPER.readTree(new File(run, DataFilesRecord.FILE));
        assertEquals(2, files.path("train").size(), files.toString());
        JsonNode part0 = files.path("train").get(0);
        java.nio.file.Path part0File = train.resolve("dt=2026-12-01/part-0.parquet");
        assertEquals(part0File.toUri().getPath(), new Path(part0.path("path").asText()).toUri().getPath());
        assertEquals("parquet", part0.path("format").asText());
        assertEquals(Files.size(part0File), part0.path("size").asLong());
        assertEquals(Files.getLastModifiedTime(part0File).toMillis(), part0.path("modification_time").asLong());
        assertEquals(List.of(3, 1), List.of(part0.path("rows").asInt(), files.path("train").get(1).path("rows").asInt()));
        assertEquals(test.toString(), files.path("test").get(0).path("path").asText());
        assertEquals(2, files.path("test").get(0).path("rows_used").asInt());
        assertEquals(0, files.path("dev").size());

        Files.writeString(test, "{\"question\": \"What is 14+14?\", \"answer\": \"#### 28\"}\n", 
                java.nio.file.StandardOpenOption.APPEND);
        messages.clear();
        SparkTraining.Outcome resumed = train(config(run, sets), true, -1);
        assertTrue(resumed.finished());
        List<String> warned = messages.stream().filter(m -> m.contains(DataFilesRecord.FILE)).toList();
        assertEquals(1, warned.size(), messages.toString());
        assertTrue(warned.get(0).startsWith("warning: the data files differ from those recorded in ")
                && warned.get(0).endsWith(": test: 1 changed (size, modification time or rows); training on the files"
                + " as they are now"), warned.get(0));
        assertEquals(3, JsonFiles.MAPPER.readTree(new File(run, DataFilesRecord.FILE)).path("test").get(0).path("rows")
                .asInt());
    }

    /** Issue 6 item 6 below the command line: every input is read before the run writes its first file. */
    @Test
    void dataThatCannotBeUsedIsRefusedBeforeAnythingIsWritten() throws Exception {
        String run = out("bad-data");
        File data = new File(base, "long.jsonl");
        Files.writeString(data.toPath(), "{\"question\": \"" + "1+".repeat(150) + "1?\", \"answer\": \"#### 151\"}\n");
        UserInputException e = assertThrows(UserInputException.class, () -> train(config(run, "data.task=gsm8k",
                "data.train=" + data, "data.test=" + data), false, -1));
        assertTrue(e.getMessage().startsWith("data.train " + data + " line 1: problem gsm8k/long/1"), e.getMessage());
        assertFalse(new File(run).exists(), "a refused run writes nothing");
    }

    static LlamaWeights load(String dir) throws Exception {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(new File(dir).toURI());
        return ModelDirectory.load(HadoopFiles.fileSystem(p, new Configuration()), p, DataType.FLOAT).weights();
    }
}
