package org.atmanrl.driver.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.Main;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** init-model, tokenize and score end to end through the command line, on the embedded model. */
class InspectCommandsTest {
    @TempDir
    static java.nio.file.Path tmp;
    static String model;
    static final ObjectMapper JSON = new ObjectMapper();

    private record Outcome(int exitCode, String out, String err) {
        List<JsonNode> lines() {
            return out.lines().map(l -> {
                try {
                    return JSON.readTree(l);
                } catch (Exception e) {
                    throw new AssertionError("not JSON: " + l, e);
                }
            }).toList();
        }
    }

    private static Outcome run(String stdin, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static void assertOneLineError(Outcome o, int exitCode, String... fragments) {
        assertEquals(exitCode, o.exitCode(), o.err());
        assertEquals(1, o.err().lines().count(), o.err());
        for (String f : fragments) {
            assertTrue(o.err().contains(f), "'" + f + "' missing from: " + o.err());
        }
    }

    @BeforeAll
    static void initModel() {
        model = tmp.resolve("tiny").toString();
        Outcome o = run("", "init-model", "--out", model, "--seed", "3");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("vocab 79"), o.out());
    }

    @Test
    void tokenizeThenDecodeGivesTheTextBackAndKeepsOtherFields() {
        String text = "Q: 23+45-17=?\n23+45=68 68-17=51 #### 51";
        Outcome enc = run("{\"id\": 7, \"text\": " + quote(text) + "}\n\n{\"text\": \"\"}\n", "tokenize", "--model", model);
        assertEquals(0, enc.exitCode(), enc.err());
        List<JsonNode> lines = enc.lines();
        assertEquals(2, lines.size(), "blank line skipped, one output per input");
        assertEquals(7, lines.get(0).get("id").asInt());
        assertEquals(text.length(), lines.get(0).get("ids").size(), "one id per character");
        assertEquals(0, lines.get(1).get("ids").size());
        Outcome dec = run(enc.out(), "tokenize", "--model", model, "--decode");
        assertEquals(0, dec.exitCode(), dec.err());
        assertEquals(text, dec.lines().get(0).get("text").asText());
        assertEquals(7, dec.lines().get(0).get("id").asInt());
    }

    @Test
    void scoreGivesEachTokensLogProbGivenItsPrefixWhateverTheBatching() throws Exception {
        String input = "{\"ids\": [43, 24, 4, 16, 17, 9, 18]}\n{\"ids\": [16]}\n{\"ids\": [20, 22, 11, 15, 21, 25, 19, 15, 4, 5]}\n";
        Outcome one = run(input, "score", "--model", model, "--batch", "1");
        Outcome all = run(input, "score", "--model", model, "--batch", "8");
        assertEquals(0, one.exitCode(), one.err());
        List<JsonNode> lines = all.lines();
        // fp32 GEMMs block differently for other row counts: equal to rounding, not bit for bit.
        for (int i = 0; i < lines.size(); i++) {
            assertClose(one.lines().get(i).get("logprobs"), lines.get(i).get("logprobs"), "batching, line " + (i + 1));
        }
        assertEquals(6, lines.get(0).get("logprobs").size());
        assertEquals(0, lines.get(1).get("logprobs").size(), "a single token has nothing to score");
        int[] ids = {20, 22, 11, 15, 21, 25, 19, 15, 4, 5};
        FileSystem fs = HadoopFiles.fileSystem(new Path(model), new Configuration());
        try (ModelDirectory.Loaded m = ModelDirectory.load(fs, new Path(model), DataType.FLOAT)) {
            double[] expected = new LlamaModel(m.weights()).logProbs(TokenBatch.forScoring(List.of(ids)), null);
            JsonNode got = lines.get(2).get("logprobs");
            assertEquals(ids.length - 1, got.size());
            for (int t = 0; t < expected.length; t++) {
                assertEquals(expected[t], got.get(t).doubleValue(), 1e-5, "token " + (t + 1));
            }
        }
    }

    @Test
    void aBadInputLineStopsWithItsLineNumber() {
        Outcome o = run("{\"text\": \"1+1\"}\n{\"txt\": \"oops\"}\n", "tokenize", "--model", model);
        assertOneLineError(o, 1, "stdin line 2", "expected a string field \"text\"");
    }

    @Test
    void anIdOutsideTheVocabularyIsNamed() {
        Outcome o = run("{\"ids\": [1, 2, 79]}\n", "score", "--model", model);
        assertOneLineError(o, 1, "stdin line 1", "ids[2] = 79 is not a token id in [0, 79)");
    }

    @Test
    void invalidJsonIsNamed() {
        Outcome o = run("{\"ids\": [1, 2\n", "score", "--model", model);
        assertOneLineError(o, 1, "stdin line 1", "not valid JSON");
    }

    @Test
    void aMissingModelDirectoryIsOneLine() {
        Outcome o = run("", "score", "--model", tmp.resolve("nope").toString());
        assertOneLineError(o, 1, "nope/config.json", "file not found");
    }

    @Test
    void chatNeedsALlama3Tokenizer() {
        Outcome o = run("{\"text\": \"hi\"}\n", "tokenize", "--model", model, "--chat");
        assertOneLineError(o, 1, "tokenizer.json", "<|start_header_id|>");
    }

    @Test
    void initModelNeverOverwrites() {
        Outcome o = run("", "init-model", "--out", model);
        assertOneLineError(o, 1, "already exists");
    }

    /** The presets' own content is ModelPresetTest's (model module); here, that misuse is one line and writes nothing. */
    @Test
    void initModelPresetMisuseIsOneLineAndWritesNothing() {
        String out = tmp.resolve("preset").toString();
        assertOneLineError(run("", "init-model", "--out", out, "--preset", "llama-3.2-8b"), 1,
                "--preset: no preset 'llama-3.2-8b'; presets: llama-3.2-1b, llama-3.2-3b");
        assertOneLineError(run("", "init-model", "--out", out, "--preset", "llama-3.2-1b", "--dtype", "f16"), 1,
                "--dtype is 'f16'; use bf16 or f32");
        assertOneLineError(run("", "init-model", "--out", out, "--dtype", "f32"), 1, "go with --preset");
        assertOneLineError(run("", "init-model", "--out", out, "--preset", "llama-3.2-1b", "--shipped"), 1,
                "exclude each other");
        assertOneLineError(run("", "init-model", "--out", out, "--preset", "llama-3.2-1b", "--tokenizer",
                tmp.resolve("none.json").toString()), 1, "none.json does not exist");
        assertFalse(java.nio.file.Files.exists(tmp.resolve("preset")));
    }

    @Test
    void optionMisuseIsAUsageError() {
        Outcome o = run("", "tokenize", "--model", model, "--decode", "--chat");
        assertEquals(2, o.exitCode(), o.err());
        assertTrue(o.err().contains("--chat and --system apply to encoding"), o.err());
    }

    private static void assertClose(JsonNode a, JsonNode b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).doubleValue(), b.get(i).doubleValue(), 1e-5, what + ", token " + (i + 1));
        }
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
