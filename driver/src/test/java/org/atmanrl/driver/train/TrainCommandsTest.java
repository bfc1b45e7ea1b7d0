package org.atmanrl.driver.train;

import static org.atmanrl.driver.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atmanrl.driver.Cli.Outcome;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sft and grpo end to end on a few steps: they run, log every step and write a loadable model. */
class TrainCommandsTest {
    @TempDir
    java.nio.file.Path tmp;

    private static List<JsonNode> jsonLines(java.nio.file.Path file) throws Exception {
        ObjectMapper m = new ObjectMapper();
        return Files.readAllLines(file).stream().map(l -> {
            try {
                return m.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
    }

    @Test
    void sftThenGrpoRunAndLogEveryStep() throws Exception {
        String sft = tmp.resolve("sft").toString(), grpo = tmp.resolve("grpo").toString();
        Outcome s = run("sft", "--out", sft, "--steps", "3", "--batch", "4", "--eval-every", "3", "--eval-size", "4");
        assertEquals(0, s.exitCode(), s.err());
        List<JsonNode> sftLog = jsonLines(tmp.resolve("sft/sft_log.jsonl"));
        assertEquals(3, sftLog.size());
        assertTrue(sftLog.get(2).has("test_accuracy"), sftLog.get(2).toString());
        assertTrue(sftLog.get(0).get("loss").asDouble() > 0, "mean NLL is positive");

        Outcome g = run("grpo", "--model", sft, "--out", grpo, "--steps", "2", "--prompts", "2", "--group", "2",
                "--eval-every", "2", "--eval-size", "4", "--saliency-metrics", "--alpha", "0");
        assertEquals(0, g.exitCode(), g.err());
        List<JsonNode> grpoLog = jsonLines(tmp.resolve("grpo/grpo_log.jsonl"));
        assertEquals(3, grpoLog.size(), "the evaluation before training, then one line per step");
        assertEquals(4, grpoLog.get(1).get("completions").asInt());
        assertTrue(grpoLog.get(2).path("seconds").has("saliency"), "the metrics schema of train");
        assertEquals(0.0, grpoLog.get(0).path("eval").path("accuracy").asDouble(-1), 1.0, "step 0 is the evaluation before training");
        assertTrue(Files.exists(tmp.resolve("grpo/model.safetensors")));
        assertTrue(Files.exists(tmp.resolve("grpo/tokenizer.json")), "tokenizer carried over");
        // the KL's reference model stored in bf16 (docs/design.md 3.4, "bf16 storage")
        Outcome b = run("grpo", "--model", sft, "--out", tmp.resolve("grpo-bf16").toString(), "--steps", "1",
                "--prompts", "2", "--group", "2", "--eval-every", "1", "--eval-size", "2", "--alpha", "0",
                "--beta", "0.04", "--weight-storage", "bf16");
        assertEquals(0, b.exitCode(), b.err());
        assertEquals(2, jsonLines(tmp.resolve("grpo-bf16/grpo_log.jsonl")).size());
    }

    @Test
    void badOptionsAreOneLineUsageErrors() {
        Outcome o = run("sft", "--out", tmp.resolve("x").toString(), "--difficulty", "extreme");
        assertEquals(2, o.exitCode());
        assertEquals(1, o.err().lines().count(), o.err());
        assertTrue(o.err().contains("--difficulty must be default or harder"), o.err());
        Outcome g = run("grpo", "--model", "m", "--out", "o", "--group", "0");
        assertEquals(2, g.exitCode());
        assertTrue(g.err().contains("group"), g.err());
    }
}
