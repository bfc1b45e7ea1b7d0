package org.atmanrl.driver.sweep;

import static org.atmanrl.driver.Cli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atmanrl.driver.Cli.Outcome;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainConfigLoader;
import org.atmanrl.driver.spark.SparkSetup;
import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code atmanrl sweep} end to end on local Spark with the tiny embedded model and 2-step runs: a
 * 2-point sweep (2 points at once) gives a 2-row table; a sweep stopped after point 1 (point 2's
 * directory gone, or holding a run stopped mid-way) trains only point 2, leaves point 1's files
 * alone and ends with the clean run's table; a changed grid is refused; a failing point is a row.
 */
class SweepCommandTest {
    @TempDir
    java.nio.file.Path tmp;

    private String grid(String name, String gridLines, int parallel) throws Exception {
        java.nio.file.Path model = tmp.resolve("tiny");
        if (!Files.exists(model)) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(model.toUri());
            EmbeddedModel.create(HadoopFiles.fileSystem(p, new Configuration()), p, 3);
        }
        java.nio.file.Path f = tmp.resolve(name);
        Files.writeString(f, String.join("\n",
                "set:",
                "  model: " + model,
                "  steps: 2",
                "  prompts_per_step: 2",
                "  partitions: 1",
                "  grpo.group_size: 2",
                "  sampling.max_new_tokens: 8",
                "  eval: {size: 2, max_new_tokens: 8}",
                "  saliency.steps: 1",
                "  checkpoint.every: 1",
                "grid:",
                gridLines,
                "output: " + tmp.resolve("sweep"),
                "parallel_points: " + parallel, ""));
        return f.toString();
    }

    private List<String> csv() throws Exception {
        return Files.readAllLines(tmp.resolve("sweep/results.csv"));
    }

    /** The table without the columns that hold times. */
    private static List<String> withoutColumns(List<String> csv, String... names) {
        List<String> header = List.of(csv.get(0).split(",", -1));
        List<String> out = new ArrayList<>();
        for (String line : csv) {
            String[] cells = line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1);
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < cells.length; i++) if (!List.of(names).contains(header.get(i))) kept.add(cells[i]);
            out.add(String.join(",", kept));
        }
        return out;
    }

    private static void delete(java.nio.file.Path dir) throws Exception {
        try (var all = Files.walk(dir)) {
            for (java.nio.file.Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Test
    void aSweepRunsItsPointsAndContinuesOnlyWhatIsMissing() throws Exception {
        String gridFile = grid("g.yaml", "  saliency.alpha: [0, 0.5]", 2);
        Outcome clean = run("sweep", "--grid", gridFile);
        assertEquals(0, clean.exitCode(), clean.err());
        assertTrue(clean.err().startsWith("sweep: 2 points, saliency.alpha (2), 2 at a time"), clean.err());
        assertTrue(clean.err().contains("[2/2] alpha=0.5: finished, accuracy"), clean.err());
        List<String> cleanCsv = csv();
        assertEquals(3, cleanCsv.size(), String.join("\n", cleanCsv));
        assertTrue(cleanCsv.get(0).startsWith("point,saliency.alpha,status,steps,seconds,accuracy,r_sal,N,C,S,"
                + "early_answering_aoc,mistakes_change_rate,filler_change_rate,filler_accuracy,computing_cot,answer_from_cot,"
                + "laundering,wrong_hint_follows_hint,wrong_hint_follows_cot,wrong_hint_accuracy,right_hint_accuracy,"
                + "accuracy_before,computing_cot_before,wrong_hint_accuracy_before,message"),
                cleanCsv.get(0));
        assertTrue(cleanCsv.get(1).startsWith("alpha=0,0,finished,2,"), cleanCsv.get(1));
        assertTrue(cleanCsv.get(2).startsWith("alpha=0.5,0.5,finished,2,"), cleanCsv.get(2));
        assertTrue(clean.out().contains("sweep: no table aggregated over seeds: the grid has no seed key\n"), clean.out());
        assertFalse(Files.exists(tmp.resolve("sweep/" + SweepResults.OVER_SEEDS_CSV)));
        String json = Files.readString(tmp.resolve("sweep/results.json"));
        assertTrue(json.contains("\"point\" : \"alpha=0.5\""), json);
        assertTrue(json.contains("\"aggregated\" : [ ]"), json);
        String html = Files.readString(tmp.resolve("sweep/results.html"));
        assertTrue(html.contains("data-v=\"alpha=0.5\">alpha=0.5</td>") && html.contains("data-v=\"alpha=0\">alpha=0</td>"), "results.html lists both points");

        // stopped after point 1: point 2 never started
        java.nio.file.Path p1 = tmp.resolve("sweep/points/alpha=0"), p2 = tmp.resolve("sweep/points/alpha=0.5");
        byte[] summary1 = Files.readAllBytes(p1.resolve("summary.json")), weights1 = Files.readAllBytes(p1.resolve("model/model.safetensors"));
        FileTime summaryTime = Files.getLastModifiedTime(p1.resolve("summary.json"));
        FileTime weightsTime = Files.getLastModifiedTime(p1.resolve("model/model.safetensors"));
        delete(p2);
        Outcome again = run("sweep", "--grid", grid("g.yaml", "  saliency.alpha: [0, 0.5]", 1));
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.err().contains("[1/2] alpha=0 (done)") && again.err().contains("[2/2] alpha=0.5 (new)"), again.err());
        assertFalse(again.err().contains("[1/2] alpha=0: starting"), again.err());
        assertArrayEquals(summary1, Files.readAllBytes(p1.resolve("summary.json")));
        assertArrayEquals(weights1, Files.readAllBytes(p1.resolve("model/model.safetensors")));
        assertEquals(summaryTime, Files.getLastModifiedTime(p1.resolve("summary.json")));
        assertEquals(weightsTime, Files.getLastModifiedTime(p1.resolve("model/model.safetensors")));
        assertEquals(withoutColumns(cleanCsv, "seconds"), withoutColumns(csv(), "seconds"));

        // stopped in the middle of point 2: its run holds a checkpoint after step 1 and no summary
        delete(p2);
        TrainConfig c2 = SweepPlan.of(SweepGrid.read(new Configuration(), gridFile, List.of()), new Configuration())
                .points().get(1).config();
        try (JavaSparkContext sc = SparkSetup.start(c2.spark(), "SweepCommandTest")) {
            SparkTraining.Outcome stopped = new SparkTraining(sc, c2, new SparkTraining.Listener() {
                @Override
                public void message(String line) {}

                @Override
                public void step(SparkTraining.StepReport report) {}
            }).run(false, 1);
            assertFalse(stopped.finished());
        }
        Outcome resumed = run("sweep", "--grid", gridFile);
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("[2/2] alpha=0.5 (resume)"), resumed.err());
        assertTrue(resumed.err().contains("alpha=0.5: resuming after step 1"), resumed.err());
        // a resumed run has no evaluation before training (it did not start at step 0)
        assertEquals(withoutColumns(cleanCsv, "seconds", "accuracy_before", "computing_cot_before", "wrong_hint_accuracy_before"),
                withoutColumns(csv(), "seconds", "accuracy_before", "computing_cot_before", "wrong_hint_accuracy_before"));

        // the grid file changed under the finished sweep: refused, nothing written
        FileTime csvTime = Files.getLastModifiedTime(tmp.resolve("sweep/results.csv"));
        Outcome changed = run("sweep", "--grid", grid("g.yaml", "  saliency.alpha: [0, 1]", 1));
        assertEquals(1, changed.exitCode(), changed.err());
        assertEquals(1, changed.err().strip().lines().count(), changed.err());
        assertTrue(changed.err().contains("holds a sweep of another grid (sweep.yaml), so it cannot be continued:"
                + " grid.saliency.alpha: [0,0.5] then, [0,1] now"), changed.err());
        assertFalse(Files.exists(tmp.resolve("sweep/points/alpha=1")));
        assertEquals(csvTime, Files.getLastModifiedTime(tmp.resolve("sweep/results.csv")));
    }

    @Test
    void aFailingPointIsARowAndTheOthersStillTrain() throws Exception {
        // every step's gradient is NaN: with max_skipped_steps 0 the first point stops at once, with 3 it finishes
        String gridFile = grid("f.yaml", "  optimizer.max_skipped_steps: [0, 3]", 1);
        Files.writeString(java.nio.file.Path.of(gridFile), Files.readString(java.nio.file.Path.of(gridFile))
                .replace("  checkpoint.every: 1", "  checkpoint.every: 1\n  faults: {nan_gradient_step: 0, nan_gradient_count: 2}"));
        Outcome o = run("sweep", "--grid", gridFile);
        assertEquals(1, o.exitCode(), o.err());
        assertTrue(o.err().contains("[1/2] max_skipped_steps=0: FAILED"), o.err());
        assertTrue(o.err().strip().endsWith("sweep: 1 of 2 points failed (see " + tmp.resolve("sweep") + "/results.csv)"), o.err());
        List<String> csv = csv();
        assertTrue(csv.get(1).startsWith("max_skipped_steps=0,0,failed,,,"), csv.get(1));
        assertTrue(csv.get(1).contains("\"stopped at step 1: 1 steps in a row"), csv.get(1));
        assertTrue(csv.get(2).startsWith("max_skipped_steps=3,3,finished,2,"), csv.get(2));
    }

    @Test
    void aConfigFaultStopsBeforeAnythingIsWritten() throws Exception {
        Outcome o = run("sweep", "--grid", grid("b.yaml", "  sampling.top_p: [1.0, 2]", 1));
        assertEquals(1, o.exitCode(), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("b.yaml: grid sampling.top_p value 2 (point top_p=2): sampling.top_p:"), o.err());
        assertFalse(Files.exists(tmp.resolve("sweep")));
    }

    @Test
    void dryRunPrintsThePointsAndTheirDifferencesAndWritesNothing() throws Exception {
        Outcome o = run("sweep", "--grid", grid("d.yaml", "  saliency.alpha: [0, 1]\n  seed: [1, 2]", 1), "--dry-run");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("[4/4] alpha=1,seed=2 (new)"), o.out());
        assertTrue(o.out().contains("alpha=1,seed=2:\n  output: " + tmp.resolve("sweep") + " -> " + tmp.resolve("sweep")
                + "/points/alpha=1,seed=2\n  seed: 0 -> 2\n  saliency.alpha: 0.5 -> 1.0\n"), o.out());
        assertFalse(Files.exists(tmp.resolve("sweep")));
    }
}
