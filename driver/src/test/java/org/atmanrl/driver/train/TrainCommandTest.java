package org.atmanrl.driver.train;

import static org.atmanrl.driver.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atmanrl.driver.Cli.Outcome;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code atmanrl train} on the command line: its faults are one line each, and nothing is written. */
class TrainCommandTest {
    @TempDir
    java.nio.file.Path tmp;

    private static void assertOneLine(Outcome o, int code, String... parts) {
        assertEquals(code, o.exitCode(), o.err());
        assertEquals(1, o.err().strip().lines().count(), "one line: " + o.err());
        for (String p : parts) assertTrue(o.err().contains(p), "'" + p + "' not in: " + o.err());
    }

    @Test
    void anUnknownKeyInTheFileIsOneLineNamingFileAndKey() throws Exception {
        java.nio.file.Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "model: m\noutput: " + tmp.resolve("run") + "\ngrpo:\n  group_sise: 4\n");
        assertOneLine(run("train", "--config", yaml.toString()), 1, "bad.yaml", "grpo.group_sise", "group_size");
        assertFalse(Files.exists(tmp.resolve("run")), "a rejected config must write nothing");
    }

    @Test
    void aBadSetValueNamesTheKeyAndWhatIsAllowed() {
        assertOneLine(run("train", "--set", "model=m", "--set", "output=o", "--set", "grpo.loss_aggregation=mean"), 1,
                "grpo.loss_aggregation", "token");
    }

    @Test
    void modelAndOutputAreRequired() {
        assertOneLine(run("train", "--set", "steps=3"), 1, "model is required");
    }

    @Test
    void printConfigShowsEveryResolvedKeyAndTrainsNothing() {
        Outcome o = run("train", "--set", "model=m", "--set", "output=o", "--set", "saliency.alpha=0.25", "--print-config");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("alpha: 0.25"), o.out());
        assertTrue(o.out().contains("loss_aggregation: token"), o.out());
        // the plan goes to stderr, so stdout stays the YAML that loads back; without config.json it is one line
        assertTrue(o.err().contains("memory plan: needs the model's config.json (model m)"), o.err());
        assertFalse(o.out().contains("memory plan"), o.out());
    }

    @Test
    void printConfigShowsTheMemoryPlanWhenTheModelIsThere() throws Exception {
        org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(tmp.resolve("tiny").toUri());
        org.atmanrl.model.io.EmbeddedModel.create(org.atmanrl.model.io.HadoopFiles.fileSystem(model,
                new org.apache.hadoop.conf.Configuration()), model, 3);
        Outcome o = run("train", "--set", "model=" + tmp.resolve("tiny"), "--set", "output=o", "--print-config");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.err().contains("executor per task: gradients "), o.err());
        assertTrue(o.err().contains("GRPO activations "), o.err());
        assertTrue(o.err().contains("driver: policy "), o.err());
        assertTrue(o.err().contains("(prompts assumed 256 tokens long"), o.err());
    }

    @Test
    void aMissingModelDirectoryIsOneLine() {
        assertOneLine(run("train", "--set", "model=" + tmp.resolve("nope"), "--set", "output=" + tmp.resolve("run")), 1,
                "nope");
    }

    /**
     * Issue 6 item 5 on the command line: a diverged run ends with its own exit code (3, issue 20)
     * and its reason as the last line, and summary.json says diverged.
     */
    @Test
    void aRunStoppedByNonFiniteGradientsExitsThreeWithOneLine() throws Exception {
        org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(tmp.resolve("tiny").toUri());
        org.atmanrl.model.io.EmbeddedModel.create(org.atmanrl.model.io.HadoopFiles.fileSystem(model,
                new org.apache.hadoop.conf.Configuration()), model, 3);
        java.nio.file.Path run = tmp.resolve("run");
        Outcome o = run("train", "--set", "model=" + tmp.resolve("tiny"), "--set", "output=" + run, "--set", "steps=2",
                "--set", "prompts_per_step=2", "--set", "partitions=1", "--set", "grpo.group_size=2",
                "--set", "sampling.max_new_tokens=8", "--set", "eval.max_new_tokens=8", "--set", "eval.size=1",
                "--set", "saliency.steps=1", "--set", "optimizer.max_skipped_steps=1",
                "--set", "faults.nan_gradient_step=0", "--set", "faults.nan_gradient_count=2");
        assertEquals(org.atmanrl.driver.ExitCodes.DIVERGED, o.exitCode(), o.err());
        assertTrue(Files.readString(run.resolve("summary.json")).contains("\"status\" : \"diverged\""));
        String last = o.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("atmanrl train: stopped at step 2: 2 steps in a row (steps 1-2) had a NaN or"
                + " infinite gradient"), last);
        assertTrue(last.contains("the weights and optimizer are the starting ones"), last);
        assertTrue(Files.isDirectory(run.resolve("checkpoints/step-00000001")), "a checkpoint to resume from");
    }

    @Test
    void demoRunsTheWholeStoryAndSavesItsTable() throws Exception {
        Outcome o = run("demo", "--dir", tmp.toString(), "--steps", "1", "--prompts", "2",
                "--eval-size", "4", "--set", "grpo.group_size=2", "--set", "sampling.max_new_tokens=8",
                "--set", "eval.max_new_tokens=8");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("start ")), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("outcome only ")), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.startsWith("AtManRL a=1 ")), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.matches(" +problems +accuracy +N +C +S +r_sal +AOC +mistake +filler"
                + " +computing +follows +wrong-h +right-h +seconds")), "the faithfulness and hint columns: " + o.out());
        assertTrue(o.out().contains("charts, heat maps: deploy/atmanrl report "), o.out());
        assertTrue(o.err().contains("writing the shipped starting model"), o.err());
        assertTrue(Files.isRegularFile(tmp.resolve("sft-hint/model.safetensors")), "the hinted task's starting model");
        try (var runs = Files.list(tmp)) {
            java.nio.file.Path run = runs.filter(p -> p.getFileName().toString().startsWith("demo-")).findFirst().orElseThrow();
            assertTrue(Files.readString(run.resolve("summary.txt")).contains("accuracy"));
        }
        Outcome again = run("demo", "--dir", tmp.resolve("again").toString(), "--train-sft", "--sft-steps", "3", "--steps", "1", "--prompts", "2",
                "--eval-size", "4", "--set", "grpo.group_size=2", "--set", "sampling.max_new_tokens=8",
                "--set", "eval.max_new_tokens=8");
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.err().contains("SFT of the embedded model"), again.err());
        Outcome third = run("demo", "--dir", tmp.toString(), "--steps", "1", "--prompts", "2",
                "--eval-size", "4", "--set", "grpo.group_size=2", "--set", "sampling.max_new_tokens=8",
                "--set", "eval.max_new_tokens=8");
        assertEquals(0, third.exitCode(), third.err());
        assertTrue(third.err().contains("reusing the SFT model"), third.err());
    }

    @Test
    void demoChecksItsConfigBeforeTraining() {
        assertOneLine(run("demo", "--dir", tmp.toString(), "--set", "grpo.group_sise=2"), 1, "grpo.group_sise");
        assertFalse(Files.exists(tmp.resolve("sft-hint")), "no SFT before the config is known to be good");
        assertOneLine(run("demo", "--dir", tmp.toString(), "--alpha", "0"), 2, "--alpha must be > 0");
    }
}
