package org.atmanrl.driver.train;

import static org.atmanrl.driver.Cli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.atmanrl.driver.Cli;
import org.atmanrl.driver.Cli.Outcome;
import org.atmanrl.driver.ExitCodes;
import org.atmanrl.driver.Main;
import org.atmanrl.driver.spark.RunLock;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} as a scheduled pipeline runs it (issue 20; docs/training-on-spark.md "Scheduled
 * retraining"): the same command line again after a kill and after success, the promotion gate,
 * the exit codes and the run lock, on the embedded tiny model.
 */
class ScheduledRetrainingTest {
    @TempDir
    Path tmp;
    private Path model;

    @BeforeEach
    void tinyModel() throws Exception {
        model = tmp.resolve("tiny");
        org.apache.hadoop.fs.Path m = new org.apache.hadoop.fs.Path(model.toUri());
        EmbeddedModel.create(HadoopFiles.fileSystem(m, new Configuration()), m, 3);
    }

    /** The train command line of a small run into {@code output}, then {@code extra}. */
    private String[] train(Path output, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--set", "model=" + model, "--set", "output=" + output,
                "--set", "steps=" + steps, "--set", "prompts_per_step=2", "--set", "partitions=1",
                "--set", "grpo.group_size=2", "--set", "sampling.max_new_tokens=8", "--set", "eval.max_new_tokens=8",
                "--set", "eval.size=2", "--set", "eval.samples=0", "--set", "saliency.steps=1",
                "--set", "checkpoint.every=1", "--resume"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Every file under {@code dir} with its bytes and modification time, to show that nothing was rewritten. */
    private static Map<String, String> snapshot(Path dir) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), java.util.Arrays.hashCode(Files.readAllBytes(p)) + "@"
                        + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return files;
    }

    /** An evaluation without its wall time, the one number two equal runs do not share. */
    private static JsonNode untimed(JsonNode evaluation) {
        ObjectNode e = evaluation.deepCopy();
        e.remove("seconds");
        return e;
    }

    private static JsonNode summary(Path run) throws Exception {
        return JsonFiles.MAPPER.readTree(run.resolve("summary.json").toFile());
    }

    @Test
    void aGateThatFailsLeavesThePromotedModelByteIdenticalAndExitsFour() throws Exception {
        Path promoted = tmp.resolve("promoted");
        Outcome day1 = run(train(tmp.resolve("day-1"), 1, "--promote-to", promoted.toString()));
        assertEquals(0, day1.exitCode(), day1.err());
        assertTrue(day1.out().contains("promotion: promoted to " + promoted + ": nothing is promoted yet"), day1.out());
        assertEquals("promoted", summary(tmp.resolve("day-1")).path("status").asText());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("day-1/model/model.safetensors")),
                Files.readAllBytes(promoted.resolve("model.safetensors")));

        // the promoted model claims a perfect score: no run of the tiny model reaches it
        Path stored = promoted.resolve("atmanrl_summary.json");
        ObjectNode s = (ObjectNode) JsonFiles.MAPPER.readTree(stored.toFile());
        ((ObjectNode) s.get("after")).put("accuracy", 1.0);
        Files.writeString(stored, s.toPrettyString());
        Map<String, String> before = snapshot(promoted);

        Path day2 = tmp.resolve("day-2");
        Outcome failed = run(train(day2, 1, "--promote-to", promoted.toString(), "--gate", "accuracy:0.5"));
        assertEquals(ExitCodes.NOT_PROMOTED, failed.exitCode(), failed.out() + failed.err());
        assertTrue(failed.out().contains("not promoted to " + promoted + ": accuracy >= promoted - 0.5: new 0.0000,"
                + " promoted 1.0000: fails"), failed.out());
        assertEquals(before, snapshot(promoted), "the promoted model is untouched");
        JsonNode d2 = summary(day2);
        assertEquals("not_promoted", d2.path("status").asText());
        assertEquals("not_promoted", d2.at("/promotion/decision").asText());
        assertEquals(1.0, d2.at("/promotion/checks/0/promoted").asDouble());
        assertFalse(Files.exists(tmp.resolve("promoted.previous")));

        Map<String, String> run2 = snapshot(day2);
        Outcome again = run(train(day2, 1, "--promote-to", promoted.toString(), "--gate", "accuracy:0.5"));
        assertEquals(ExitCodes.NOT_PROMOTED, again.exitCode(), again.err());
        assertEquals(run2, snapshot(day2), "the same decision again rewrites nothing");
        assertEquals(before, snapshot(promoted));

        Outcome passes = run(train(day2, 1, "--promote-to", promoted.toString(), "--gate", "accuracy:1"));
        assertEquals(0, passes.exitCode(), passes.out() + passes.err());
        assertEquals("promoted", summary(day2).path("status").asText());
        assertTrue(Files.readString(promoted.resolve("atmanrl_summary.json")).contains(day2.getFileName().toString()));
        assertEquals(before.get("model.safetensors"), snapshot(tmp.resolve("promoted.previous")).get("model.safetensors"),
                "the replaced model is kept");
    }

    @Test
    void promotionFaultsAreOneLineBeforeTraining() throws Exception {
        Path out = tmp.resolve("run");
        Cli.assertOneLineError(run(train(out, 1, "--promote-to", out.resolve("model").toString())), 1, "overlap");
        Cli.assertOneLineError(run(train(out, 1, "--promote-to", tmp.resolve("p").toString(), "--gate", "accuracy:x")),
                2, "--gate", "margin 'x' is not a number");
        Cli.assertOneLineError(run(train(out, 1, "--gate", "accuracy")), 2, "--gate needs --promote-to");
        Cli.assertOneLineError(run(train(out, 1, "--promote-to", tmp.resolve("p").toString(), "--set",
                "eval.faithfulness=false", "--gate", "faithfulness.filler_tokens.change_rate")), 1, "eval.faithfulness");
        Files.createDirectories(tmp.resolve("handmade"));
        Cli.assertOneLineError(run(train(out, 1, "--promote-to", tmp.resolve("handmade").toString())), 1,
                "holds no atmanrl_summary.json");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aSecondJobOnTheSameOutputStopsNamingTheHolder() throws Exception {
        Path out = tmp.resolve("run");
        FileSystem fs = FileSystem.getLocal(new Configuration());
        try (RunLock held = RunLock.acquireDirectory(fs, new org.apache.hadoop.fs.Path(out.toUri()), "output")) {
            Outcome second = run(train(out, 1));
            Cli.assertOneLineError(second, 1, "locked", "process " + ProcessHandle.current().pid());
            try (Stream<Path> files = Files.list(out)) {
                assertEquals(List.of(RunLock.FILE), files.map(p -> p.getFileName().toString()).toList(),
                        "nothing but the holder's lock");
            }
        }
        assertEquals(0, run(train(out, 1)).exitCode(), "free again once the holder is gone");
    }

    /**
     * A real SIGTERM: the run ends as interrupted with exit 143; the same command line continues
     * it from its newest checkpoint to the bytes of a run never interrupted; and the same command
     * once more, after success, trains nothing and rewrites no file.
     */
    @Test
    void aKilledRunAndAFinishedRunAreBothSafeToRunAgain() throws Exception {
        Path killed = tmp.resolve("killed"), whole = tmp.resolve("whole");
        int steps = 6;
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-D") || a.startsWith("-XX")).toList());
        command.addAll(List.of("-Xmx2g", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(train(killed, steps)));
        File log = tmp.resolve("killed.log").toFile();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        Path first = killed.resolve("checkpoints/step-00000001");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.isDirectory(first) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(p.isAlive(), "the run ended before its kill: " + Files.readString(log.toPath()));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the run outlived SIGTERM");
        assertEquals(ExitCodes.INTERRUPTED_SIGTERM, p.exitValue(), Files.readString(log.toPath()));
        JsonNode s = summary(killed);
        assertEquals("interrupted", s.path("status").asText(), s.toString());
        assertTrue(s.path("steps").asInt() >= 1 && s.path("steps").asInt() < steps, s.toString());
        assertTrue(s.path("before").isObject(), "the evaluation before training is kept for the resumption");

        Outcome resumed = run(train(killed, steps));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("resuming after step"), resumed.err());
        assertTrue(resumed.out().contains("status done, exit code 0"), resumed.out());
        assertEquals(0, run(train(whole, steps)).exitCode());
        assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")),
                Files.readAllBytes(killed.resolve("model/model.safetensors")));
        assertEquals(Files.readString(whole.resolve("metrics.jsonl")).lines().count(),
                Files.readString(killed.resolve("metrics.jsonl")).lines().count());
        assertEquals(untimed(summary(whole).path("before")), untimed(summary(killed).path("before")),
                "before survives the kill");
        assertEquals(untimed(summary(whole).path("after")), untimed(summary(killed).path("after")));

        Map<String, String> files = snapshot(whole);
        Outcome again = run(train(whole, steps));
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("already finished after step " + steps), again.out());
        assertEquals(files, snapshot(whole), "no file rewritten");
    }
}
