package org.atmanrl.driver.eval;

import static org.atmanrl.driver.Cli.run;
import static org.atmanrl.driver.Cli.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.atmanrl.driver.Cli.Outcome;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.rollout.Accuracy;
import org.atmanrl.executor.rollout.GreedyEvaluation;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** {@code atmanrl eval} end to end on the embedded model, freshly initialised (a model directory made here). */
class EvalCommandTest {
    @TempDir
    static java.nio.file.Path tmp;
    static String model;
    static final ObjectMapper JSON = new ObjectMapper();

    private static String write(String name, String... lines) throws Exception {
        java.nio.file.Path f = tmp.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f.toString();
    }

    @BeforeAll
    static void tinyModel() throws Exception {
        Path dir = new Path(tmp.resolve("tiny").toUri());
        EmbeddedModel.create(HadoopFiles.fileSystem(dir, new Configuration()), dir, 5);
        model = tmp.resolve("tiny").toString();
    }

    @Test
    void arithmeticPrintsTheTableAndWritesTheJsonOnce() throws Exception {
        String json = tmp.resolve("arith.json").toString();
        Outcome o = run("eval", "--model", model, "--size", "6", "--max-new-tokens", "16", "--saliency-steps", "2",
                "--json", json);
        assertEquals(0, o.exitCode(), o.err());
        List<String> table = o.out().lines().toList();
        assertEquals(8, table.size(), o.out());
        assertTrue(table.get(0).matches("data set +problems +accuracy +unparsed +N +C +S +r_sal +seconds"), table.get(0));
        assertTrue(table.get(1).startsWith("arithmetic/test "), table.get(1));
        assertEquals("", table.get(2));
        assertTrue(table.get(3).matches("faithfulness +probed +result"), table.get(3));
        assertTrue(table.get(4).matches("early answering +\\d+  AOC \\S+  agree@f 0:\\S+ 0.2:\\S+ 0.4:\\S+ 0.6:\\S+"
                + " 0.8:\\S+ 1:\\S+"), table.get(4));
        assertTrue(table.get(5).matches("added mistakes +\\d+  changed \\S+ \\(unparsed \\d+, no number \\d+\\)"),
                table.get(5));
        assertTrue(table.get(6).matches("filler tokens +\\d+  changed \\S+  filler acc \\S+"), table.get(6));
        assertTrue(table.get(7).matches("CoT use +6  computing \\S+  answer from CoT \\S+  laundering \\S+"),
                "the arithmetic questions' CoT use, one sample each: " + table.get(7));

        JsonNode r = JSON.readTree(Files.readString(java.nio.file.Path.of(json)));
        assertEquals("arithmetic/test", r.get("data_set").asText());
        assertEquals(6, r.get("problems").asInt());
        assertEquals(model, r.get("model").asText());
        assertEquals(16, r.get("max_new_tokens").asInt());
        assertTrue(r.get("saliency").asBoolean());
        assertEquals(2, r.get("saliency_steps").asInt());
        assertEquals(0.5, r.get("saliency_lr").asDouble());
        Accuracy expected = independentAccuracy(6, 16);
        assertEquals(expected.correct(), r.get("correct").asInt());
        assertEquals(expected.total() - expected.parsed(), r.get("unparsed").asInt());
        assertEquals(expected.value(), r.get("accuracy").asDouble(), 1e-15);
        assertTrue(r.get("fitted").asInt() <= r.get("correct").asInt(), r.toString());
        JsonNode faithful = r.get("faithfulness");
        assertEquals(6 - r.get("unparsed").asInt(), faithful.get("early_answering").get("probed").asInt(),
                "every completion with an answer is probed");
        assertEquals(6 - r.get("unparsed").asInt(), faithful.get("filler_tokens").get("probed").asInt());
        assertEquals("[0.0,0.2,0.4,0.6,0.8,1.0]", faithful.get("early_answering").get("fractions").toString());
        assertTrue(faithful.get("adding_mistakes").has("change_rate"), faithful.toString());
        try (var files = Files.list(tmp)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().contains(".tmp-")), "temporary file renamed");
        }

        // on Spark, in 2 tasks: the same counts and probe results
        String sparkJson = tmp.resolve("arith-spark.json").toString();
        Outcome spark = run("eval", "--model", model, "--size", "6", "--max-new-tokens", "16", "--saliency-steps", "2",
                "--partitions", "2", "--json", sparkJson);
        assertEquals(0, spark.exitCode(), spark.err());
        JsonNode s = JSON.readTree(Files.readString(java.nio.file.Path.of(sparkJson)));
        for (String key : List.of("problems", "correct", "unparsed", "fitted", "faithfulness")) {
            assertEquals(r.get(key), s.get(key), key + " on Spark");
        }

        String before = Files.readString(java.nio.file.Path.of(json));
        // an absent model: the taken output is found first, before any work
        Outcome again = run("eval", "--model", tmp.resolve("nope").toString(), "--json", json);
        assertOneLineError(again, 1, "arith.json already exists");
        assertEquals(before, Files.readString(java.nio.file.Path.of(json)), "never overwritten");
    }

    @Test
    void gsm8kFromAFileSkipsMalformedRowsWithAWarning() throws Exception {
        String test = write("test.jsonl",
                "{\"question\": \"2+3?\", \"answer\": \"2+3=5\\n#### 5\"}",
                "{\"question\": \"4+4?\"}",
                "{\"question\": \"1+1?\", \"answer\": \"1+1=2\\n#### 2\"}");
        String json = tmp.resolve("gsm8k.json").toString();
        Outcome o = run("eval", "--model", model, "--data", "gsm8k", "--test", test, "--skip-malformed",
                "--max-new-tokens", "8", "--no-saliency", "--no-faithfulness", "--json", json);
        assertEquals(0, o.exitCode(), o.err());
        assertEquals(2, o.out().lines().count(), "no faithfulness table: " + o.out());
        assertTrue(o.err().contains("test.jsonl:2") && o.err().contains("\"answer\""), o.err());
        assertTrue(o.err().contains("2 usable rows, fewer than the test size 500"), o.err());
        JsonNode r = JSON.readTree(Files.readString(java.nio.file.Path.of(json)));
        assertEquals("gsm8k/test", r.get("data_set").asText());
        assertEquals(2, r.get("problems").asInt());
        assertEquals(0, r.get("fitted").asInt());
        assertFalse(r.get("saliency").asBoolean());
        assertFalse(r.has("saliency_steps"));
        assertFalse(r.has("faithfulness"), r.toString());
        assertTrue(o.out().lines().toList().get(1).contains(" - "), "no saliency measured: " + o.out());

        Outcome strict = run("eval", "--model", model, "--data", "gsm8k", "--test", test, "--max-new-tokens", "8");
        assertOneLineError(strict, 1, "test.jsonl:2", "field \"answer\"", "missing");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertOneLineError(run("eval", "--model", model, "--data", "chess"), 2, "unknown task 'chess'");
        assertOneLineError(run("eval", "--model", model, "--template", "fancy"), 2, "--template must be plain or chat");
        assertOneLineError(run("eval", "--model", model, "--system", "hi"), 2, "--system needs --template chat");
        assertOneLineError(run("eval", "--model", model, "--size", "0"), 2, "--size must be in [1, 1048576], got 0");
        assertOneLineError(run("eval", "--model", model, "--saliency-steps", "-1"), 2, "steps must be in [0, 10000]");
        assertOneLineError(run("eval", "--model", model, "--max-new-tokens", "0"), 2, "max_new_tokens", "[1, 131072]");
        assertOneLineError(run("eval", "--model", model, "--test", "x.jsonl"), 2, "--test is for gsm8k and mmlu");
        for (String task : List.of("arithmetic", "arithmetic-control", "arithmetic-hint")) {
            assertOneLineError(run("eval", "--model", model, "--data", task, "--suggested-answer", "wrong"), 2,
                    "--suggested-answer wrong is for --data gsm8k and mmlu; the arithmetic tasks have their own hint:"
                            + " --data arithmetic-hint");
        }
        assertOneLineError(run("eval", "--model", model, "--suggested-answer", "right"), 2,
                "--suggested-answer must be none or wrong, got 'right'");
        assertOneLineError(run("eval", "--model", model, "--sise", "3"), 2, "unknown option '--sise'", "--size");
        assertOneLineError(run("eval", "--model", model, "--fractions", "0,x,1"), 2, "--fractions: 'x' is not a number");
        assertOneLineError(run("eval", "--model", model, "--fractions", "0,0.5"), 2, "--fractions 0,0.5",
                "must start at 0 and end at 1");
        assertOneLineError(run("eval"), 2, "--model");
        assertOneLineError(run("eval", "--model", model, "--partitions", "-1"), 2, "--partitions must be 0");
    }

    @Test
    void badFilesAreOneLineErrors() throws Exception {
        assertOneLineError(run("eval", "--model", tmp.resolve("nope").toString()), 1, "nope/config.json", "file not found");
        assertOneLineError(run("eval", "--model", model, "--data", "gsm8k"), 1, "--data gsm8k needs --test PATH");
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", tmp.resolve("absent.jsonl").toString()),
                1, "absent.jsonl");
        java.nio.file.Path folder = Files.createDirectories(tmp.resolve("folder.jsonl"));
        Outcome dir = run("eval", "--model", model, "--data", "mmlu", "--test", folder.toString());
        assertOneLineError(dir, 1, "folder.jsonl");
        String test = write("long.jsonl", "{\"question\": \"2+3?\", \"answer\": \"#### 5\"}");
        assertOneLineError(run("eval", "--model", model, "--data", "gsm8k", "--test", test, "--size", "1", "--max-new-tokens", "200"),
                1,
                "problem gsm8k/long/1", "max_position_embeddings 256", "lower --max-new-tokens");
    }

    @Test
    void helpExplainsEveryOption() {
        Outcome o = run("eval", "--help");
        assertEquals(0, o.exitCode(), o.err());
        for (String option : List.of("--model", "--data", "--test", "--template", "--system", "--skip-malformed", "--size",
                "--max-new-tokens", "--no-saliency", "--saliency-steps", "--saliency-lr", "--no-faithfulness", "--fractions",
                "--rows-per-pass", "--suggested-answer", "--json")) {
            assertTrue(o.out().contains(option), option + " missing from: " + o.out());
        }
        assertTrue(o.out().contains("r_sal = N * C"), o.out());
        assertTrue(o.out().contains("AOC: area over that curve"), o.out());
        assertTrue(o.out().contains("Biased hint (Turpin et al. 2023)"), o.out());
        assertTrue(o.out().contains("faithfulness.biased_hint"), o.out());
        assertTrue(o.out().lines().allMatch(l -> l.length() <= 80), "lines fit 80 columns:\n" + o.out());
    }

    /** GreedyEvaluation's count on the same test problems, computed here apart from the command. */
    private static Accuracy independentAccuracy(int n, int maxNewTokens) throws Exception {
        Path dir = new Path(model);
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        try (ModelDirectory.Loaded m = ModelDirectory.load(fs, dir, DataType.FLOAT);
             EmbeddedData data = new EmbeddedData(Tokenizer.load(fs, dir), ArithmeticDifficulty.DEFAULT, 0, n)) {
            return GreedyEvaluation.accuracy(new LlamaModel(m.weights()), data.tokenizer, data.test, n, maxNewTokens,
                    data.encoder.stopToken(), 64);
        }
    }
}
