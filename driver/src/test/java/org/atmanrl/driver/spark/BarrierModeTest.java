package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.step.DivergedRunException;
import org.atmanrl.driver.checkpoint.Checkpoint;
import org.atmanrl.driver.checkpoint.CheckpointStore;
import org.atmanrl.driver.checkpoint.ShardedCheckpoint;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.driver.config.ConfigException;
import org.atmanrl.driver.config.SparkConfig;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.ShardIndex;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Barrier mode (docs/design.md 3.5) on local Spark with three task slots: after 5 steps of the
 * embedded model (the easy-task fixture) barrier mode at P = 2 and P = 3 holds exactly sync mode's
 * weights and both AdamW moments at the same P (issue 16, acceptance 6, locally); a barrier run
 * stopped after a checkpoint and resumed ends bit-identical to an uninterrupted one; its evaluations
 * equal sync mode's; what barrier mode does not do yet is refused in one line.
 */
class BarrierModeTest {
    @TempDir
    static File base;
    static JavaSparkContext sc;
    static String model;
    /** Runs by name, so that a run two tests compare against is trained once. */
    static final Map<String, String> runs = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        model = EasyTaskModel.directory();
        sc = SparkSetup.start(new SparkConfig("local[3]", 1), "BarrierModeTest");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    /** 5 steps of 6 prompts (a stage per checkpoint interval of 2), no evaluation; {@code sets} after these. */
    static TrainConfig config(String out, String... sets) throws Exception {
        List<String> all = new ArrayList<>(List.of("seed=11", "steps=5", "prompts_per_step=6", "checkpoint.every=2",
                "checkpoint.keep_last=5", "eval.size=0", "eval.samples=0"));
        all.addAll(Arrays.asList(sets));
        return EasyTaskRuns.config(base, model, out, all.toArray(new String[0]));
    }

    static final List<String> messages = new ArrayList<>();

    static SparkTraining.Outcome train(TrainConfig c, boolean resume, long stopAfter) throws Exception {
        return EasyTaskRuns.train(sc, c, resume, stopAfter, messages);
    }

    /** The run directory of {@code mode} at {@code partitions}, trained once per test class. */
    static synchronized String run(String mode, int partitions) throws Exception {
        String name = mode + "-p" + partitions;
        if (!runs.containsKey(name)) {
            String out = new File(base, name).getPath();
            long t0 = System.nanoTime();
            train(config(out, "mode=" + mode, "partitions=" + partitions), false, -1);
            System.out.printf("BarrierModeTest: %s trained in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
            runs.put(name, out);
        }
        return runs.get(name);
    }

    static Checkpoint checkpoint(String run, long step) throws Exception {
        Path dir = new Path(new File(run, RunDirectory.CHECKPOINTS).toURI());
        return new CheckpointStore(HadoopFiles.fileSystem(dir, new Configuration()), dir, 5).load(step, DataType.FLOAT);
    }

    /** Weights, first and second moments and the optimizer's step count: equal to the last bit. */
    static void assertSameState(String expected, String actual, long step) throws Exception {
        try (Checkpoint a = checkpoint(expected, step); Checkpoint b = checkpoint(actual, step)) {
            Map<String, INDArray> wa = a.weights().named(), wb = b.weights().named();
            assertEquals(wa.keySet(), wb.keySet());
            for (String n : wa.keySet()) {
                assertArrayEquals(wa.get(n).data().asFloat(), wb.get(n).data().asFloat(), 0f, n);
            }
            assertEquals(a.optimizer().step(), b.optimizer().step());
            assertEquals(a.optimizer().names(), b.optimizer().names());
            for (int i = 0; i < a.optimizer().names().size(); i++) {
                String n = a.optimizer().names().get(i);
                assertArrayEquals(a.optimizer().firstMoments().get(i), b.optimizer().firstMoments().get(i), 0f,
                        "exp_avg." + n);
                assertArrayEquals(a.optimizer().secondMoments().get(i), b.optimizer().secondMoments().get(i), 0f,
                        "exp_avg_sq." + n);
            }
        }
    }

    /** metrics.jsonl without the time split, which differs between any two runs. */
    static String metricsWithoutSeconds(String run) throws Exception {
        return Files.readString(new File(run, RunDirectory.METRICS).toPath()).replaceAll("\"seconds\":\\{[^}]*}", "");
    }

    @Test
    void barrierEqualsSyncBitForBitAtTwoAndThreePartitions() throws Exception {
        for (int p : new int[] {2, 3}) {
            String sync = run("sync", p), barrier = run("barrier", p);
            assertSameState(sync, barrier, 5);
            assertEquals(metricsWithoutSeconds(sync), metricsWithoutSeconds(barrier), "metrics at P = " + p);
            // the run's model directory: the last checkpoint's shards, loading to the same weights as sync mode's file
            assertTrue(new File(barrier, "model/" + ShardIndex.FILE).exists());
            assertTrue(new File(barrier, "model/" + ModelDirectory.shardFile(p - 1, p)).exists());
        }
        // the steps moved the weights, so equality is not that of two idle runs
        try (ModelDirectory.Loaded before = ModelDirectory.load(HadoopFiles.fileSystem(new Path(model), new Configuration()),
                new Path(model), DataType.FLOAT); Checkpoint after = checkpoint(run("barrier", 2), 5)) {
            int moved = 0;
            for (Map.Entry<String, INDArray> t : before.weights().named().entrySet()) {
                if (!Arrays.equals(t.getValue().data().asFloat(), after.weights().named().get(t.getKey()).data().asFloat())) {
                    moved++;
                }
            }
            assertEquals(before.weights().named().size(), moved, "tensors the run changed");
        }
    }

    @Test
    void aStoppedAndResumedBarrierRunEndsBitIdentical() throws Exception {
        String whole = run("barrier", 2), parts = new File(base, "barrier-parts").getPath();
        SparkTraining.Outcome first = train(config(parts, "mode=barrier"), false, 3);
        assertFalse(first.finished());
        assertFalse(new File(parts, "model").exists());
        SparkTraining.Outcome second = train(config(parts, "mode=barrier"), true, -1);
        assertEquals(3, second.firstStep());
        assertTrue(second.finished());
        assertSameState(whole, parts, 5);
        assertEquals(metricsWithoutSeconds(whole), metricsWithoutSeconds(parts));
    }

    /**
     * A rank that fails in the middle of a stage (rank 1 at step 4, in the stage of steps 3-4) fails
     * the stage; Spark does not rerun a barrier result stage, the run does, from the stage's start,
     * and ends bit-identical to an undisturbed run.
     */
    @Test
    void aRankThatFailsMidStageIsRunAgainAndChangesNothing() throws Exception {
        String faulty = new File(base, "barrier-faulty").getPath();
        int before = messages.size();
        train(config(faulty, "mode=barrier", "faults.fail_task_step=3", "faults.fail_task_partition=1"), false, -1);
        assertTrue(messages.subList(before, messages.size()).stream().anyMatch(m -> m.startsWith(
                "barrier stage of steps 3-4 failed (attempt 1 of 4)") && m.endsWith("; running it again")),
                messages.subList(before, messages.size()).toString());
        assertSameState(run("barrier", 2), faulty, 5);
        assertEquals(metricsWithoutSeconds(run("barrier", 2)), metricsWithoutSeconds(faulty));
    }

    /**
     * The fault drill's NaN and infinite gradients (steps 2 and 3, one skip allowed): barrier mode
     * skips, stops and checkpoints exactly as sync mode does, inside one stage, whose checkpoint the
     * driver completes as the one after the last good step.
     */
    @Test
    void aStreakOfNonFiniteGradientsStopsBothModesAlike() throws Exception {
        String sync = new File(base, "diverged-sync").getPath(), barrier = new File(base, "diverged-barrier").getPath();
        String[] streak = {"checkpoint.every=0", "optimizer.max_skipped_steps=1", "faults.nan_gradient_step=1",
            "faults.nan_gradient_count=2"};
        List<String> s = new ArrayList<>(List.of(streak)), b = new ArrayList<>(List.of(streak));
        s.add("mode=sync");
        b.add("mode=barrier");
        DivergedRunException e = assertThrows(DivergedRunException.class,
                () -> train(config(sync, s.toArray(new String[0])), false, -1));
        DivergedRunException f = assertThrows(DivergedRunException.class,
                () -> train(config(barrier, b.toArray(new String[0])), false, -1));
        assertEquals(e.getMessage().replace(sync, barrier), f.getMessage());
        assertTrue(f.getMessage().contains("step-00000002"), f.getMessage());
        assertEquals(metricsWithoutSeconds(sync), metricsWithoutSeconds(barrier));
        assertTrue(metricsWithoutSeconds(barrier).contains("\"grad_norm\":\"NaN\""), metricsWithoutSeconds(barrier));
        assertArrayEquals(new String[] {"step-00000002"}, new File(barrier, RunDirectory.CHECKPOINTS).list());
        assertSameState(sync, barrier, 2);
    }

    /**
     * Resharding (issue 16, acceptance 10, locally): a P = 2 checkpoint read by P = 3 ranks holds,
     * gathered, exactly the P = 2 moments (the weights are read whole at any P), the run continues
     * at P = 3, and two copies of it resumed so end bit-identical.
     */
    @Test
    void aBarrierCheckpointResumesAtAnotherPartitionCountAndEndsTheSameTwice() throws Exception {
        String a = new File(base, "reshard-a").getPath(), b = new File(base, "reshard-b").getPath();
        train(config(a, "mode=barrier"), false, 3);
        copy(new File(a).toPath(), new File(b).toPath());
        try (Checkpoint saved = checkpoint(a, 3)) {
            Map<String, long[]> shapes = LlamaWeights.shapes(saved.modelConfig().model());
            Shards three = Shards.split(shapes, 3);
            Path dir = new Path(new File(a, RunDirectory.CHECKPOINTS + "/step-00000003").toURI());
            List<String> names = new ArrayList<>();
            List<float[]> first = new ArrayList<>(), second = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                AdamW.State s = ShardedCheckpoint.readRank(HadoopFiles.fileSystem(dir, new Configuration()), dir, 2,
                        shapes, ShardedCheckpoint.shard(shapes, three, r), saved.optimizer().step());
                assertEquals(saved.optimizer().step(), s.step());
                names.addAll(s.names());
                first.addAll(s.firstMoments());
                second.addAll(s.secondMoments());
            }
            assertEquals(saved.optimizer().names(), names);
            for (int i = 0; i < names.size(); i++) {
                assertArrayEquals(saved.optimizer().firstMoments().get(i), first.get(i), 0f, names.get(i));
                assertArrayEquals(saved.optimizer().secondMoments().get(i), second.get(i), 0f, names.get(i));
            }
        }
        assertTrue(train(config(a, "mode=barrier", "partitions=3"), true, -1).finished());
        assertTrue(train(config(b, "mode=barrier", "partitions=3"), true, -1).finished());
        assertTrue(new File(a, RunDirectory.CHECKPOINTS + "/step-00000005/" + ModelDirectory.shardFile(2, 3)
                .replace("model-", "model/model-")).exists(), "the checkpoints after the resume are P = 3's");
        assertSameState(a, b, 5);
        assertEquals(metricsWithoutSeconds(a), metricsWithoutSeconds(b));
    }

    private static void copy(java.nio.file.Path from, java.nio.file.Path to) throws Exception {
        try (var paths = Files.walk(from)) {
            for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) paths::iterator) {
                Files.copy(p, to.resolve(from.relativize(p)));
            }
        }
    }

    @Test
    void changingTheModeOnResumeIsRefusedInOneLine() throws Exception {
        String run = new File(base, "mode-change").getPath();
        train(config(run, "mode=sync", "steps=1"), false, -1);
        UserInputException e = assertThrows(UserInputException.class,
                () -> train(config(run, "mode=barrier", "steps=2"), true, -1));
        assertTrue(e.getMessage().contains("different mode (\"sync\" then, \"barrier\" now)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void moreRanksThanTaskSlotsAreRefusedInOneLine() throws Exception {
        UserInputException e = assertThrows(UserInputException.class,
                () -> train(config(new File(base, "barrier-slots").getPath(), "mode=barrier", "partitions=4"), false, -1));
        assertTrue(e.getMessage().contains("has 3 task slots"), e.getMessage());
    }

    @Test
    void whatBarrierModeDoesNotDoYetIsRefusedInOneLineNamingTheKey() throws Exception {
        List<String[]> refused = new ArrayList<>();
        refused.add(new String[] {"lora.rank=4", "lora.rank"});
        refused.add(new String[] {"grpo.mu=2", "grpo.mu"});
        refused.add(new String[] {"grpo.beta=0.04", "grpo.beta"});
        refused.add(new String[] {"weight_storage=bf16", "weight_storage"});
        refused.add(new String[] {"saliency.mask=network", "saliency.mask"});
        for (String[] r : refused) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> config(new File(base, "refused").getPath(), "mode=barrier", r[0]));
            assertTrue(e.getMessage().contains(r[1]) && e.getMessage().contains("mode barrier"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            config(new File(base, "allowed").getPath(), "mode=sync", r[0]); // sync mode takes each
        }
        config(new File(base, "allowed").getPath(), "mode=barrier", "eval.size=4", "eval.samples=2"); // built
    }

    /**
     * Evaluation between stages (docs/design.md 3.5, "Evaluation"): with eval.every 2 and checkpoints
     * every 3 steps, the barrier run evaluates before training, after steps 2 and 4 and after the
     * last, each task reading the policy from the model directory or the checkpoint just completed
     * (so its stages also end at steps 2 and 4); every report equals sync mode's at the same step to
     * the bit, but its wall time, and so do the summary's before and after; the saliency samples,
     * computed by one task from the last checkpoint, are sync mode's driver's bytes.
     */
    @Test
    void evaluationBetweenStagesEqualsSyncModesBitForBit() throws Exception {
        String sync = new File(base, "eval-sync").getPath(), barrier = new File(base, "eval-barrier").getPath();
        String[] eval = {"eval.size=4", "eval.every=2", "checkpoint.every=3", "partitions=2", "eval.samples=2"};
        List<String> s = new ArrayList<>(List.of(eval)), b = new ArrayList<>(List.of(eval));
        s.add("mode=sync");
        b.add("mode=barrier");
        SparkTraining.Outcome so = train(config(sync, s.toArray(new String[0])), false, -1);
        SparkTraining.Outcome bo = train(config(barrier, b.toArray(new String[0])), false, -1);
        String metrics = withoutEvalSeconds(metricsWithoutSeconds(barrier));
        assertEquals(withoutEvalSeconds(metricsWithoutSeconds(sync)), metrics);
        assertEquals(2, metrics.split("\"eval\":", -1).length - 1, metrics); // after steps 2 and 4
        assertEquals(withoutEvalSeconds(so.before().toJson().toString()), withoutEvalSeconds(bo.before().toJson().toString()));
        assertEquals(withoutEvalSeconds(so.after().toJson().toString()), withoutEvalSeconds(bo.after().toJson().toString()));
        String[] checkpoints = new File(barrier, RunDirectory.CHECKPOINTS).list();
        Arrays.sort(checkpoints);
        assertArrayEquals(new String[] {"step-00000002", "step-00000003", "step-00000004", "step-00000005"}, checkpoints);
        assertSameState(sync, barrier, 5);
        // the saliency samples, from the last checkpoint on an executor: sync mode's driver's bytes
        String samples = Files.readString(new File(barrier, RunDirectory.SALIENCY_SAMPLES).toPath());
        assertEquals(Files.readString(new File(sync, RunDirectory.SALIENCY_SAMPLES).toPath()), samples);
        assertTrue(samples.length() > 100, samples);
    }

    /** An evaluation report's wall time, the one field that differs between two runs. */
    private static String withoutEvalSeconds(String json) {
        return json.replaceAll("\"seconds\":[-0-9.Ee]+", "");
    }
}
