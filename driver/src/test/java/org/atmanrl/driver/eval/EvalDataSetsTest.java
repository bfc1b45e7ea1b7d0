package org.atmanrl.driver.eval;

import static org.atmanrl.driver.Cli.run;
import static org.atmanrl.driver.Cli.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.atmanrl.driver.Cli.Outcome;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.eval.FaithfulnessConfig;
import org.atmanrl.executor.rollout.Accuracy;
import org.atmanrl.executor.rollout.GreedyEvaluation;
import org.atmanrl.executor.data.DataSpec;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.MalformedRowPolicy;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.PromptStyle;
import org.atmanrl.reward.data.SuggestedAnswers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code eval} on GSM8K (zero-shot chat) and MMLU (five-shot chat from the dev split) end to end:
 * the shared data's files and a tiny randomly initialised Llama over the real Llama 3 tokenizer,
 * so that the chat template, the real prompts and their lengths are those a Llama 3 Instruct
 * model gets. Skipped, saying what is missing, without the shared data.
 */
class EvalDataSetsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Room for a five-shot MMLU prompt (about 1,000-2,000 Llama 3 tokens) and a short completion. */
    static final int MAX_POSITIONS = 4096;

    @TempDir
    static java.nio.file.Path tmp;
    static String model;
    static java.nio.file.Path data;

    /** Per test, so that each reports the skip; the model is made once. */
    @BeforeEach
    void tinyLlama3() throws Exception {
        String override = System.getenv("ATMANRL_SHARED_DATA");
        data = (override != null && !override.isEmpty() ? java.nio.file.Path.of(override)
                : java.nio.file.Path.of("../../shared/data")).toAbsolutePath().normalize(); // from driver/
        for (String f : new String[] {"tokenizers/llama3/tokenizer.json", "tokenizers/llama3/tokenizer_config.json",
            "gsm8k/test.jsonl", "mmlu/mmlu_test.jsonl", "mmlu/mmlu_dev.jsonl"}) {
            assumeTrue(Files.isRegularFile(data.resolve(f)), () -> "shared test data absent: no " + data.resolve(f)
                    + " (set ATMANRL_SHARED_DATA to the shared/data folder to run this test)");
        }
        if (model != null) return;
        java.nio.file.Path tokenizer = data.resolve("tokenizers/llama3");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(Tokenizer.TOKENIZER_FILE, Files.readAllBytes(tokenizer.resolve(Tokenizer.TOKENIZER_FILE)));
        files.put(Tokenizer.CONFIG_FILE, Files.readAllBytes(tokenizer.resolve(Tokenizer.CONFIG_FILE)));
        // Llama 3's vocabulary (128,000 + 256 reserved/special tokens), everything else tiny
        LlamaConfig c = new LlamaConfig(128256, 16, 32, 1, 2, 1, 8, MAX_POSITIONS, 1e-5, 500000.0, null, true, 0.02);
        Path dir = new Path(tmp.resolve("tiny-llama3").toUri());
        try (LlamaWeights w = LlamaWeights.random(c, 7, DataType.FLOAT)) {
            ModelDirectory.save(HadoopFiles.fileSystem(dir, new Configuration()), dir, HfConfig.fresh(c), w,
                    SaveOptions.of(SafetensorsDType.F32), files);
        }
        model = tmp.resolve("tiny-llama3").toString();
    }

    private String shared(String relative) {
        return data.resolve(relative).toString();
    }

    private static String write(String name, String... lines) throws Exception {
        java.nio.file.Path f = tmp.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f.toString();
    }

    @Test
    void gsm8kZeroShotChat() throws Exception {
        String json = tmp.resolve("gsm8k.json").toString();
        Outcome o = run("eval", "--model", model, "--data", "gsm8k", "--test", shared("gsm8k/test.jsonl"),
                "--template", "chat", "--size", "3", "--max-new-tokens", "6", "--no-saliency", "--json", json);
        assertEquals(0, o.exitCode(), o.err());
        JsonNode r = JSON.readTree(Files.readString(java.nio.file.Path.of(json)));
        assertEquals("gsm8k/test", r.get("data_set").asText());
        assertEquals("chat", r.get("template").asText());
        assertRecount(r, new DataSpec(DataSpec.Source.GSM8K, null, shared("gsm8k/test.jsonl"), PromptStyle.CHAT, null,
                MalformedRowPolicy.FAIL, ArithmeticDifficulty.DEFAULT, 0, 3), 3, 6);
        assertTrue(o.out().lines().toList().get(1).startsWith("gsm8k/test "), o.out());
        assertTrue(r.get("faithfulness").get("biased_hint").isNull(), "no suggestion, no biased-hint counts: " + r);
        assertTrue(!r.has("suggested_answer"), r.toString());
    }

    /**
     * The biased-hint probe on GSM8K: with {@code --suggested-answer wrong} every question suggests a
     * wrong answer, so each sampled completion is counted on a wrong-hint prompt.
     */
    @Test
    void gsm8kWithASuggestedWrongAnswerCountsEverySampleUnderAWrongHint() throws Exception {
        String json = tmp.resolve("gsm8k-hint.json").toString();
        int n = 3;
        Outcome o = run("eval", "--model", model, "--data", "gsm8k", "--test", shared("gsm8k/test.jsonl"),
                "--template", "chat", "--size", String.valueOf(n), "--max-new-tokens", "6", "--no-saliency",
                "--suggested-answer", "wrong", "--json", json);
        assertEquals(0, o.exitCode(), o.err());
        JsonNode r = JSON.readTree(Files.readString(java.nio.file.Path.of(json)));
        assertEquals("wrong", r.get("suggested_answer").asText());
        JsonNode hint = r.get("faithfulness").get("biased_hint");
        assertTrue(hint != null && hint.isObject(), r.toString());
        assertEquals(n * FaithfulnessConfig.DEFAULT_POLICY_SAMPLES, hint.get("wrong_hint").asInt(), hint.toString());
        assertEquals(0, hint.get("right_hint").asInt(), hint.toString());
        for (String part : new String[] {"correct", "follows_hint", "follows_cot"}) {
            assertTrue(hint.get(part).asInt() >= 0 && hint.get(part).asInt() <= n, part + ": " + hint);
        }
        DataSpec spec = new DataSpec(DataSpec.Source.GSM8K, null, shared("gsm8k/test.jsonl"), PromptStyle.CHAT, null,
                MalformedRowPolicy.FAIL, ArithmeticDifficulty.DEFAULT, 0, n).withSuggestedAnswer(SuggestedAnswers.Mode.WRONG);
        assertRecount(r, spec, n, 6);
        Path dir = new Path(model);
        try (Tokenizer tokenizer = Tokenizer.load(HadoopFiles.fileSystem(dir, new Configuration()), dir)) {
            Problem first = Datasets.open(spec, new Configuration(), tokenizer).test().get(0);
            assertTrue(first.promptText().endsWith("\n\n" + SuggestedAnswers.sentence(first.hint().orElseThrow())),
                    first.promptText());
        }
    }

    @Test
    void mmluFiveShotChatFromTheDevSplit() throws Exception {
        String json = tmp.resolve("mmlu.json").toString();
        Outcome o = run("eval", "--model", model, "--data", "mmlu", "--test", shared("mmlu/mmlu_test.jsonl"),
                "--dev", shared("mmlu/mmlu_dev.jsonl"), "--shots", "5", "--template", "chat", "--size", "3",
                "--max-new-tokens", "6", "--no-saliency", "--json", json);
        assertEquals(0, o.exitCode(), o.err());
        JsonNode r = JSON.readTree(Files.readString(java.nio.file.Path.of(json)));
        assertEquals("mmlu/mmlu_test", r.get("data_set").asText());
        assertEquals(5, r.get("shots").asInt());
        assertEquals(shared("mmlu/mmlu_dev.jsonl"), r.get("dev").asText());
        assertRecount(r, spec(5), 3, 6);

        // --shots defaults to 5 with --dev: the same prompts, so the same counts
        String defaulted = tmp.resolve("mmlu-default.json").toString();
        Outcome d = run("eval", "--model", model, "--data", "mmlu", "--test", shared("mmlu/mmlu_test.jsonl"),
                "--dev", shared("mmlu/mmlu_dev.jsonl"), "--template", "chat", "--size", "3", "--max-new-tokens", "6",
                "--no-saliency", "--json", defaulted);
        assertEquals(0, d.exitCode(), d.err());
        JsonNode rd = JSON.readTree(Files.readString(java.nio.file.Path.of(defaulted)));
        assertEquals(5, rd.get("shots").asInt());
        for (String key : new String[] {"problems", "correct", "unparsed", "accuracy"}) {
            assertEquals(r.get(key), rd.get(key), key);
        }

        // the prompts must fit the model: one token too many for the five-shot prompt is one line naming
        // the problem and the five-shot prompt's length (which the zero-shot prompt is far below)
        int fiveShot = promptLength(spec(5)), zeroShot = promptLength(spec(0));
        assertTrue(fiveShot > 5 * zeroShot, fiveShot + " vs " + zeroShot);
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", shared("mmlu/mmlu_test.jsonl"),
                "--dev", shared("mmlu/mmlu_dev.jsonl"), "--template", "chat", "--size", "1", "--max-new-tokens",
                String.valueOf(MAX_POSITIONS - fiveShot + 1), "--no-saliency"), 1,
                "problem mmlu/mmlu_test/1: its prompt of " + fiveShot + " tokens", "max_position_embeddings "
                        + MAX_POSITIONS, "lower --max-new-tokens");
    }

    @Test
    void fewShotOptionErrorsAreOneLine() throws Exception {
        String test = shared("mmlu/mmlu_test.jsonl");
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", test, "--shots", "5"), 2,
                "--shots 5 needs --dev PATH");
        assertOneLineError(run("eval", "--model", model, "--data", "gsm8k", "--test", shared("gsm8k/test.jsonl"),
                "--dev", shared("mmlu/mmlu_dev.jsonl")), 2, "--dev and --shots are for --data mmlu", "gsm8k is zero-shot");
        assertOneLineError(run("eval", "--model", model, "--data", "gsm8k", "--test", shared("gsm8k/test.jsonl"),
                "--shots", "3"), 2, "--dev and --shots are for --data mmlu");
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", test, "--dev",
                shared("mmlu/mmlu_dev.jsonl"), "--shots", "-1"), 2, "--shots must be in [0, 64], got -1");
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", test, "--dev",
                shared("mmlu/mmlu_dev.jsonl"), "--shots", "0"), 2, "--dev is only read for few-shot prompts");
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", test, "--dev",
                tmp.resolve("no_dev.jsonl").toString()), 1, "no_dev.jsonl");
        // the real dev split has 5 per subject: 6 are too many, named at the first test row
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", test, "--dev",
                shared("mmlu/mmlu_dev.jsonl"), "--shots", "6", "--size", "2"), 1,
                "mmlu_test.jsonl:1", "subject \"abstract_algebra\"", "has 5 questions", "fewer than the 6 shots");
        String thin = write("thin_dev.jsonl", Files.readAllLines(data.resolve("mmlu/mmlu_dev.jsonl")).subList(0, 3)
                .toArray(String[]::new));
        assertOneLineError(run("eval", "--model", model, "--data", "mmlu", "--test", test, "--dev", thin), 1,
                "thin_dev.jsonl has 3 questions of subject \"abstract_algebra\", fewer than the 5 shots asked for");
    }

    private DataSpec spec(int shots) {
        return new DataSpec(DataSpec.Source.MMLU, null, shared("mmlu/mmlu_test.jsonl"), PromptStyle.CHAT, null,
                MalformedRowPolicy.FAIL, ArithmeticDifficulty.DEFAULT, 0, 3, shots == 0 ? null : shared("mmlu/mmlu_dev.jsonl"),
                shots);
    }

    /** The prompt length of the first test problem of {@code spec} on the model's tokenizer. */
    private static int promptLength(DataSpec spec) throws Exception {
        Path dir = new Path(model);
        Configuration conf = new Configuration();
        try (Tokenizer tokenizer = Tokenizer.load(HadoopFiles.fileSystem(dir, conf), dir)) {
            return Datasets.open(spec, conf, tokenizer).test().get(0).promptLength();
        }
    }

    /** The report's counts equal a recount of the same problems by GreedyEvaluation, apart from the command. */
    private void assertRecount(JsonNode r, DataSpec spec, int n, int maxNewTokens) throws Exception {
        assertEquals(n, r.get("problems").asInt());
        double accuracy = r.get("accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1, r.toString());
        assertEquals(r.get("correct").asDouble() / n, accuracy, 1e-12);
        Path dir = new Path(model);
        Configuration conf = new Configuration();
        FileSystem fs = HadoopFiles.fileSystem(dir, conf);
        try (ModelDirectory.Loaded m = ModelDirectory.load(fs, dir, DataType.FLOAT);
             Tokenizer tokenizer = Tokenizer.load(fs, dir)) {
            Datasets.Dataset d = Datasets.open(spec, conf, tokenizer);
            Accuracy expected = GreedyEvaluation.accuracy(new LlamaModel(m.weights()), tokenizer, d.test(), n,
                    maxNewTokens, d.encoder().stopToken(), 64);
            assertEquals(expected.correct(), r.get("correct").asInt(), r.toString());
            assertEquals(expected.total() - expected.parsed(), r.get("unparsed").asInt(), r.toString());
            assertEquals(expected.value(), accuracy, 1e-15);
        }
    }
}
