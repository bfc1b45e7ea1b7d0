package org.atmanrl.executor.data;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.DatasetFormatException;
import org.atmanrl.reward.data.MalformedRowPolicy;
import org.atmanrl.reward.data.ParquetTables;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.PromptStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each task of a DataSpec opens to the problems its loaders and generators give, with their warnings. */
class DatasetsTest {
    static final Configuration CONF = new Configuration();
    static Tokenizer chars;

    @TempDir
    java.nio.file.Path tmp;

    @BeforeAll
    static void tokenizer() {
        chars = Tokenizer.fromJson("embedded", CharTokenizerFiles.tokenizerJson(), CharTokenizerFiles.tokenizerConfigJson(256));
    }

    @AfterAll
    static void close() {
        chars.close();
    }

    private static DataSpec spec(DataSpec.Source task, String train, String test, MalformedRowPolicy policy, int testSize) {
        return new DataSpec(task, train, test, PromptStyle.PLAIN, null, policy, ArithmeticDifficulty.DEFAULT, 0, testSize);
    }

    private String write(String name, String... lines) throws IOException {
        java.nio.file.Path f = tmp.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f.toString();
    }

    @Test
    void arithmeticAndItsControlAreTheEmbeddedTasksProblems() throws IOException {
        try (EmbeddedData embedded = new EmbeddedData(ArithmeticDifficulty.DEFAULT, 0, 7)) {
            Datasets.Dataset real = Datasets.open(with(DataSpec.embedded(), "testSize", 7), CONF, chars);
            Datasets.Dataset control = Datasets.open(spec(DataSpec.Source.ARITHMETIC_CONTROL, null, null,
                    MalformedRowPolicy.FAIL, 7), CONF, chars);
            assertEquals(EmbeddedData.TRAIN_INDEX_SPACE, real.train().size());
            assertEquals(7, real.test().size());
            assertEquals("arithmetic/test", real.test().name());
            assertEquals("arithmetic-control/test", control.test().name());
            for (int i = 0; i < 7; i++) {
                assertEquals(embedded.test.get(i), real.test().get(i), "test " + i);
                assertEquals(embedded.controlTest.get(i), control.test().get(i), "control test " + i);
            }
            assertEquals(embedded.train.get(12345), real.train().get(12345));
            assertEquals(embedded.controlTrain.get(6789), control.train().get(6789));
            assertEquals(embedded.encoder.stopToken(), real.encoder().stopToken());
            assertTrue(real.warnings().isEmpty(), real.warnings().toString());
        }
    }

    @Test
    void gsm8kTestIsCutToItsFirstRowsAndSkippedRowsAreWarnings() throws IOException {
        String test = write("test.jsonl",
                "{\"question\": \"What is 2+3?\", \"answer\": \"2+3=5\\n#### 5\"}",
                "{\"question\": \"What is 4+4?\", \"answer\": \"no delimiter here\"}",
                "{\"question\": \"What is 1+1?\", \"answer\": \"1+1=<<1+1=2>>2\\n#### 2\"}",
                "{\"question\": \"What is 9-1?\", \"answer\": \"#### 8\"}");
        Datasets.Dataset d = Datasets.open(spec(DataSpec.Source.GSM8K, null, test, MalformedRowPolicy.SKIP, 2),
                CONF, chars);
        assertEquals(0, d.train().size(), "no train file: an empty train set");
        assertEquals(2, d.test().size(), "cut to the test size");
        assertEquals("gsm8k/test", d.test().name());
        Problem second = d.test().get(1);
        assertEquals("gsm8k/test/3", second.id(), "ids keep the file's line numbers");
        assertEquals("2", second.reference());
        assertEquals("1+1=2\n#### 2", second.referenceCompletion().orElseThrow());
        assertEquals(1, d.warnings().size(), d.warnings().toString());
        String w = d.warnings().get(0);
        assertTrue(w.contains("test.jsonl:2") && w.contains("\"answer\""), w);

        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> Datasets.open(
                spec(DataSpec.Source.GSM8K, null, test, MalformedRowPolicy.FAIL, 1), CONF, chars));
        assertEquals(2, e.row().line());
    }

    @Test
    void mmluReadsTrainAndTestAndWarnsWhenTheTestIsShort() throws IOException {
        String row = "{\"subject\": \"math\", \"question\": \"1+1?\", \"choices\": [\"1\", \"2\", \"3\", \"4\"], \"answer\": %s}";
        String train = write("mmlu_dev.jsonl", String.format(row, "\"B\""), String.format(row, "1"), String.format(row, "2"));
        String test = write("mmlu_test.jsonl", String.format(row, "\"A\""), String.format(row, "\"E\""));
        Datasets.Dataset d = Datasets.open(spec(DataSpec.Source.MMLU, train, test, MalformedRowPolicy.SKIP, 5),
                CONF, chars);
        assertEquals(3, d.train().size());
        assertEquals("mmlu/mmlu_dev", d.train().name());
        assertEquals("C", d.train().get(2).reference());
        assertEquals(1, d.test().size());
        assertEquals("mmlu/mmlu_test/1", d.test().get(0).id());
        assertEquals(2, d.warnings().size(), d.warnings().toString());
        assertTrue(d.warnings().get(0).contains("mmlu_test.jsonl:2"), d.warnings().get(0));
        assertTrue(d.warnings().get(1).contains("1 usable rows, fewer than the test size 5"), d.warnings().get(1));
        Problem p = d.test().get(0);
        assertEquals(CharTokenizerFiles.BEGIN_OF_TEXT_ID, p.promptIds()[0], "plain prompt: begin-of-text, then the text");
        assertArrayEquals(chars.encodeLiteral(p.promptText()), Arrays.copyOfRange(p.promptIds(), 1, p.promptLength()));
    }

    /**
     * Issue 20.1: a split may be a partitioned Parquet directory; its problems are named by file
     * and row, and each file read is reported with the rows the test cut kept of it.
     */
    @Test
    void aParquetDirectoryIsASplitAndEveryFileReadIsReported() throws IOException {
        java.nio.file.Path dir = tmp.resolve("gsm8k_test");
        ParquetTables.gsm8k(dir.resolve("dt=2026-12-01/part-0.parquet"), new String[] {"One?", "#### 1"},
                new String[] {"Two?", "#### 2"});
        ParquetTables.gsm8k(dir.resolve("dt=2026-12-02/part-0.parquet"), new String[] {"Three?", "#### 3"});
        Files.writeString(dir.resolve("_SUCCESS"), "");
        String train = write("train.jsonl", "{\"question\": \"T?\", \"answer\": \"#### 4\"}");
        Datasets.Dataset d = Datasets.open(spec(DataSpec.Source.GSM8K, train, dir.toString(), MalformedRowPolicy.FAIL, 2),
                CONF, chars);
        assertEquals("gsm8k/test", d.test().name());
        assertEquals(List.of("gsm8k/test/dt=2026-12-01/part-0:1", "gsm8k/test/dt=2026-12-01/part-0:2"),
                List.of(d.test().get(0).id(), d.test().get(1).id()));
        assertEquals("gsm8k/train/1", d.train().get(0).id(), "a file of its own keeps its ids");
        assertEquals(List.of("train 1/1", "test 2/2", "test 1/0"), d.files().stream()
                .map(f -> f.split() + " " + f.rowsRead() + "/" + f.rowsUsed()).toList());
        assertEquals(train, d.files().get(0).file().path());
    }

    @Test
    void aMissingFileAndChatOnTheCharacterTokenizerFail() {
        assertThrows(FileNotFoundException.class, () -> Datasets.open(
                spec(DataSpec.Source.GSM8K, null, tmp.resolve("absent.jsonl").toString(), MalformedRowPolicy.FAIL, 1),
                CONF, chars));
        DataSpec chat = new DataSpec(DataSpec.Source.ARITHMETIC, null, null, PromptStyle.CHAT, null,
                MalformedRowPolicy.FAIL, ArithmeticDifficulty.DEFAULT, 0, 3);
        assertThrows(ModelFormatException.class, () -> Datasets.open(chat, CONF, chars));
    }

    private static String mmluLine(String subject, String question, String answer) {
        return "{\"subject\": \"" + subject + "\", \"question\": \"" + question
                + "\", \"choices\": [\"w\", \"x\", \"y\", \"z\"], \"answer\": \"" + answer + "\"}";
    }

    private static DataSpec fewShot(String train, String test, String dev, int shots, MalformedRowPolicy policy) {
        return new DataSpec(DataSpec.Source.MMLU, train, test, PromptStyle.PLAIN, null, policy,
                ArithmeticDifficulty.DEFAULT, 0, 10, dev, shots);
    }

    @Test
    void mmluFewShotPromptsTrainAndTestQuestionsWithTheirSubjectsDevExamples() throws IOException {
        String dev = write("mmlu_dev.jsonl", mmluLine("law", "L1?", "A"), mmluLine("art", "A1?", "B"),
                "{\"subject\": \"law\"}", mmluLine("law", "L2?", "C"), mmluLine("art", "A2?", "D"),
                mmluLine("law", "L3?", "B"));
        String test = write("mmlu_test.jsonl", mmluLine("art", "Q1?", "A"), mmluLine("law", "Q2?", "B"));
        String train = write("mmlu_train.jsonl", mmluLine("law", "T1?", "C"));
        Datasets.Dataset d = Datasets.open(fewShot(train, test, dev, 2, MalformedRowPolicy.SKIP), CONF, chars);
        String art = d.test().get(0).promptText();
        assertTrue(art.matches("(?s).*A1\\?.*Answer:\n#### B\n\n.*A2\\?.*Answer:\n#### D\n\n.*Q1\\?.*"), art);
        assertTrue(!art.contains("L1?") && !art.contains("L2?"), "only art examples: " + art);
        String law = d.train().get(0).promptText();
        assertTrue(law.indexOf("L1?") < law.indexOf("L2?") && law.indexOf("L2?") < law.indexOf("T1?"), law);
        assertTrue(!law.contains("L3?"), "the first 2 of the subject only: " + law);
        assertEquals("mmlu/mmlu_test/1", d.test().get(0).id());
        assertTrue(d.warnings().stream().anyMatch(w -> w.contains("mmlu_dev.jsonl:3")), d.warnings().toString());

        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> Datasets.open(fewShot(null, test, dev, 3, MalformedRowPolicy.SKIP), CONF, chars));
        assertTrue(e.getMessage().contains("mmlu_test.jsonl:1") && e.getMessage().contains("subject \"art\"")
                && e.getMessage().contains("has 2 questions") && e.getMessage().contains("fewer than the 3 shots"),
                e.getMessage());
        assertThrows(FileNotFoundException.class, () -> Datasets.open(
                fewShot(null, test, tmp.resolve("absent_dev.jsonl").toString(), 5, MalformedRowPolicy.FAIL), CONF, chars));
    }

    @Test
    void fewShotOptionsAreCheckedTogether() {
        IllegalArgumentException noDev = assertThrows(IllegalArgumentException.class,
                () -> fewShot(null, "t.jsonl", null, 5, MalformedRowPolicy.FAIL));
        assertEquals("5 shots need a dev file to take them from (data.dev)", noDev.getMessage());
        IllegalArgumentException noShots = assertThrows(IllegalArgumentException.class,
                () -> fewShot(null, "t.jsonl", "d.jsonl", 0, MalformedRowPolicy.FAIL));
        assertTrue(noShots.getMessage().contains("set data.shots >= 1"), noShots.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fewShot(null, "t.jsonl", "d.jsonl", -1, MalformedRowPolicy.FAIL));
        IllegalArgumentException gsm8k = assertThrows(IllegalArgumentException.class, () -> new DataSpec(
                DataSpec.Source.GSM8K, null, "t.jsonl", PromptStyle.PLAIN, null, MalformedRowPolicy.FAIL,
                ArithmeticDifficulty.DEFAULT, 0, 10, "d.jsonl", 5));
        assertEquals("few-shot prompts (data.dev, data.shots) are for task mmlu; task gsm8k is zero-shot",
                gsm8k.getMessage());
    }

    /** The real files and the Llama 3 tokenizer of the shared test data; skipped when they are absent. */
    @Test
    void sharedGsm8kAndMmluInTheLlama3ChatTemplate() throws IOException {
        java.nio.file.Path data = sharedData();
        java.nio.file.Path llama3 = data.resolve("tokenizers/llama3");
        java.nio.file.Path gsm8k = data.resolve("gsm8k/test.jsonl"), mmlu = data.resolve("mmlu/mmlu_test.jsonl");
        for (java.nio.file.Path p : List.of(llama3.resolve("tokenizer.json"), gsm8k, mmlu)) {
            assumeTrue(Files.isRegularFile(p), () -> "shared test data absent: no " + p
                    + " (set ATMANRL_SHARED_DATA to the shared/data folder to run this test)");
        }
        Path dir = new Path(llama3.toUri());
        try (Tokenizer t = Tokenizer.load(HadoopFiles.fileSystem(dir, CONF), dir)) {
            for (DataSpec.Source task : List.of(DataSpec.Source.GSM8K, DataSpec.Source.MMLU)) {
                String file = (task == DataSpec.Source.GSM8K ? gsm8k : mmlu).toString();
                DataSpec spec = new DataSpec(task, null, file, PromptStyle.CHAT, "Be brief.", MalformedRowPolicy.FAIL,
                        ArithmeticDifficulty.DEFAULT, 0, 25);
                Datasets.Dataset d = Datasets.open(spec, CONF, t);
                assertEquals(25, d.test().size(), task.configName());
                assertTrue(d.warnings().isEmpty(), d.warnings().toString());
                assertEquals(t.tokenId("<|eot_id|>").getAsInt(), d.encoder().stopToken());
                String prompt = t.decode(d.test().get(0).promptIds());
                assertTrue(prompt.startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief."),
                        prompt);
                assertEquals(task.configName() + "/" + (task == DataSpec.Source.GSM8K ? "test" : "mmlu_test") + "/1",
                        d.test().get(0).id());
            }
        }
    }

    /** {@code shared/data} beside the repository ({@code ../../shared/data} from executor/), or $ATMANRL_SHARED_DATA. */
    static java.nio.file.Path sharedData() {
        String override = System.getenv("ATMANRL_SHARED_DATA");
        return (override != null && !override.isEmpty() ? java.nio.file.Path.of(override)
                : java.nio.file.Path.of("../../shared/data")).toAbsolutePath().normalize();
    }
}
