package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data as tables (issue 20 point 1, docs/design.md 4): a directory, a glob or a list of JSON-lines
 * and Parquet files, read in path order, every row checked as a JSON line is.
 */
class DataSourceTest {
    private static final Configuration CONF = new Configuration();
    private static final String[][] DAY1 = {{"What is 2+3?", "2+3=5\n#### 5"}, {"What is 4+4?", "#### 8"}};
    private static final String[][] DAY2 = {{"What is 1,000+80?", "so\n#### 1,080"}};

    @TempDir
    java.nio.file.Path dir;

    private static String json(String[] row) {
        return "{\"question\": " + quoted(row[0]) + ", \"answer\": " + quoted(row[1]) + "}";
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s.replace("\n", "\\n") + "\"";
    }

    private void jsonl(String name, String[]... rows) throws IOException {
        java.nio.file.Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        StringBuilder text = new StringBuilder();
        for (String[] r : rows) text.append(json(r)).append('\n');
        Files.writeString(f, text, StandardCharsets.UTF_8);
    }

    private void touch(String name) throws IOException {
        Files.createDirectories(dir.resolve(name).getParent());
        Files.writeString(dir.resolve(name), "not data");
    }

    private LoadedSource<Gsm8kRow> load(String source, MalformedRowPolicy policy) throws IOException {
        return Gsm8kJsonl.load(CONF, DataSource.resolve("data.train", source, CONF), policy);
    }

    private String at(String relative) {
        return dir.resolve(relative).toString();
    }

    /** The acceptance test: a partitioned directory of JSON lines and its Parquet copy give the same rows and ids. */
    @Test
    void parquetAndJsonlDirectoriesGiveTheSameRows() throws IOException {
        // written day 2 first: the order read is the paths', not the listing's or the writing's
        jsonl("json/dt=2026-12-02/part-0.jsonl", DAY2);
        jsonl("json/dt=2026-12-01/part-0.jsonl", DAY1);
        touch("json/_SUCCESS");
        ParquetTables.gsm8k(dir.resolve("parquet/dt=2026-12-02/part-0.parquet"), DAY2);
        ParquetTables.gsm8k(dir.resolve("parquet/dt=2026-12-01/part-0.parquet"), DAY1);
        touch("parquet/_SUCCESS");
        touch("parquet/dt=2026-12-01/.part-0.parquet.crc");
        touch("parquet/_temporary/0/part-9.parquet");

        LoadedSource<Gsm8kRow> fromJson = load(at("json"), MalformedRowPolicy.FAIL);
        LoadedSource<Gsm8kRow> fromParquet = load(at("parquet"), MalformedRowPolicy.FAIL);
        assertEquals(fromJson.rows(), fromParquet.rows());
        assertEquals(List.of("What is 2+3?", "What is 4+4?", "What is 1,000+80?"),
                fromParquet.rows().stream().map(Gsm8kRow::question).toList());
        assertEquals(List.of("dt=2026-12-01/part-0:1", "dt=2026-12-01/part-0:2", "dt=2026-12-02/part-0:1"),
                fromParquet.rows().stream().map(Gsm8kRow::where).toList());
        assertEquals(List.of(DataFormat.PARQUET, DataFormat.PARQUET),
                fromParquet.files().stream().map(DataFile::format).toList());
        assertEquals(List.of(2L, 1L), fromParquet.reports().stream().map(DatasetReport::rows).toList());
        DataFile first = fromParquet.files().get(0);
        java.nio.file.Path firstFile = dir.resolve("parquet/dt=2026-12-01/part-0.parquet");
        assertTrue(first.path().endsWith("parquet/dt=2026-12-01/part-0.parquet"), first.path());
        assertEquals(Files.size(firstFile), first.size());
        assertEquals(Files.getLastModifiedTime(firstFile).toMillis(), first.modificationTime());
        assertEquals("train", fromParquet.dataSet("train"));
        // the problems too, ids and suggested answers included, as the ids ignore the extension
        try (Tokenizer chars = Tokenizer.fromJson("embedded", CharTokenizerFiles.tokenizerJson(),
                CharTokenizerFiles.tokenizerConfigJson(256))) {
            PromptEncoder encoder = PromptEncoder.plain(chars);
            SuggestedAnswers wrong = new SuggestedAnswers(SuggestedAnswers.Mode.WRONG, 3);
            ProblemSet a = Gsm8kDataset.problems(fromJson.rows(), fromJson.dataSet("train"), encoder, wrong);
            ProblemSet b = Gsm8kDataset.problems(fromParquet.rows(), fromParquet.dataSet("train"), encoder, wrong);
            assertEquals("gsm8k/train/dt=2026-12-01/part-0:2", b.get(1).id());
            for (int i = 0; i < a.size(); i++) assertEquals(a.get(i), b.get(i));
        }
    }

    @Test
    void mmluParquetWithAListOfChoicesAndAnIndexAnswerReadsAsItsJsonLine() throws IOException {
        Files.writeString(dir.resolve("mmlu.jsonl"), "{\"subject\": \"law\", \"question\": \"Q?\", \"choices\":"
                + " [\"w\", \"\", \"y\", \"z\"], \"answer\": 2}\n");
        ParquetTables.mmlu(dir.resolve("mmlu.parquet"), "law", "Q?", List.of("w", "", "y", "z"), 2);
        MmluRow json = MmluJsonl.load(CONF, DataSource.resolve("data.test", at("mmlu.jsonl"), CONF),
                MalformedRowPolicy.FAIL).rows().get(0);
        LoadedSource<MmluRow> parquet = MmluJsonl.load(CONF, DataSource.resolve("data.test", at("mmlu.parquet"), CONF),
                MalformedRowPolicy.FAIL);
        assertEquals(json, parquet.rows().get(0));
        assertEquals("C", json.answer());
        assertTrue(parquet.single(), "one file named on its own keeps the ids of old: " + parquet.files());
        assertEquals("mmlu", parquet.dataSet("test"));
    }

    /** The acceptance test: a bad Parquet row fails the load naming file and row, or under skip is skipped and listed. */
    @Test
    void aBadParquetRowIsReportedByFileAndRow() throws IOException {
        ParquetTables.gsm8k(dir.resolve("t/dt=2026-12-01/part-0.parquet"), DAY1[0], new String[] {"No answer?", null},
                new String[] {"Words?", "the answer is 3"}, DAY1[1]);
        String file = dir.resolve("t/dt=2026-12-01/part-0.parquet").toUri().toString().replaceFirst("^file:///", "file:/");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> load(at("t"), MalformedRowPolicy.FAIL));
        assertEquals(file + ":2: field \"answer\": a string expected, found null", e.getMessage());

        LoadedSource<Gsm8kRow> skipped = load(at("t"), MalformedRowPolicy.SKIP);
        assertEquals(List.of(1L, 4L), skipped.rows().stream().map(Gsm8kRow::line).toList());
        DatasetReport report = skipped.reports().get(0);
        assertEquals(2, report.malformedCount());
        assertEquals(file + ":3: field \"answer\": no \"####\"; the worked solution ending in \"#### <number>\" expected",
                report.malformed().get(1).message());
    }

    @Test
    void aColumnMissingFromTheTableIsAMissingField() throws IOException {
        ParquetTables.write(dir.resolve("q.parquet"), org.apache.parquet.schema.MessageTypeParser.parseMessageType(
                "message m { optional binary question (STRING); }"), List.of(
                new org.apache.parquet.example.data.simple.SimpleGroupFactory(
                        org.apache.parquet.schema.MessageTypeParser.parseMessageType(
                                "message m { optional binary question (STRING); }")).newGroup().append("question", "Q?")));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> load(at("q.parquet"), MalformedRowPolicy.FAIL));
        assertEquals(at("q.parquet") + ":1: field \"answer\": missing; a string expected", e.getMessage());
    }

    @Test
    void aStringLongerThanARowMayBeIsRefusedAsTheRowsFault() throws IOException {
        ParquetTables.gsm8k(dir.resolve("long.parquet"), new String[] {"x".repeat(JsonlReader.MAX_LINE_BYTES + 1), "#### 1"});
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> load(at("long.parquet"), MalformedRowPolicy.FAIL));
        assertTrue(e.getMessage().startsWith(at("long.parquet") + ":1: field \"question\": 1048577 bytes, longer than"),
                e.getMessage());
    }

    @Test
    void aFileThatIsNotParquetIsOneLine() throws IOException {
        touch("broken.parquet");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> load(at("broken.parquet"), MalformedRowPolicy.SKIP));
        assertTrue(e.getMessage().startsWith(at("broken.parquet") + ": not a readable Parquet file ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("); a Parquet table expected") && !e.getMessage().contains("\n"),
                e.getMessage());
    }

    @Test
    void aGlobTakesTheDataFilesItMatchesAndBelowTheDirectoriesItMatches() throws IOException {
        jsonl("g/dt=2026-12-01/part-0.jsonl", DAY1);
        jsonl("g/dt=2026-12-02/part-0.jsonl", DAY2);
        jsonl("g/dt=2026-12-03/part-0.jsonl", DAY2);
        touch("g/dt=2026-12-02/_SUCCESS");
        LoadedSource<Gsm8kRow> two = load(at("g/dt=2026-12-0[12]"), MalformedRowPolicy.FAIL);
        assertEquals(List.of("dt=2026-12-01/part-0:1", "dt=2026-12-01/part-0:2", "dt=2026-12-02/part-0:1"),
                two.rows().stream().map(Gsm8kRow::where).toList());
        LoadedSource<Gsm8kRow> files = load(at("g/*/part-0.jsonl"), MalformedRowPolicy.FAIL);
        assertEquals(3, files.files().size());
        assertEquals("dt=2026-12-03/part-0", files.files().get(2).part());
    }

    @Test
    void aListIsReadInPathOrderEachFileOnce() throws IOException {
        jsonl("c.jsonl", DAY2);
        jsonl("a.jsonl", DAY1);
        LoadedSource<Gsm8kRow> both = load(DataSource.join(List.of(at("c.jsonl"), at("a.jsonl"), at("*.jsonl"))),
                MalformedRowPolicy.FAIL);
        assertEquals(List.of("a:1", "a:2", "c:1"), both.rows().stream().map(Gsm8kRow::where).toList());
        assertEquals(List.of(at("c.jsonl"), at("a.jsonl")), DataSource.entries(DataSource.join(List.of(at("c.jsonl"),
                at("a.jsonl")))));
        assertEquals(at("c.jsonl") + ", " + at("a.jsonl"), DataSource.display(DataSource.join(List.of(at("c.jsonl"),
                at("a.jsonl")))));
    }

    @Test
    void aSourceThatMatchesNoDataFileIsOneLineNamingKeyAndPattern() throws IOException {
        touch("empty/_SUCCESS");
        touch("empty/notes.txt");
        ModelFormatException none = assertThrows(ModelFormatException.class,
                () -> DataSource.resolve("data.train", at("empty"), CONF));
        assertEquals("data.train " + at("empty") + ": no .jsonl, .json or .parquet file matches", none.getMessage());
        ModelFormatException glob = assertThrows(ModelFormatException.class,
                () -> DataSource.resolve("data.test", at("dt=*"), CONF));
        assertEquals("data.test " + at("dt=*") + ": no .jsonl, .json or .parquet file matches", glob.getMessage());
        FileNotFoundException missing = assertThrows(FileNotFoundException.class,
                () -> DataSource.resolve("data.train", at("absent"), CONF));
        assertEquals("data.train " + at("absent") + ": file not found", missing.getMessage());
    }

    @Test
    void aJsonlAndAParquetCopyOfOneFileInOneSourceAreRefusedAsTheirIdsWouldClash() throws IOException {
        jsonl("twice/part-0.jsonl", DAY1);
        ParquetTables.gsm8k(dir.resolve("twice/part-0.parquet"), DAY1);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> DataSource.resolve("data.train", at("twice"), CONF));
        assertTrue(e.getMessage().startsWith("data.train ") && e.getMessage().contains("part-0.parquet")
                && e.getMessage().contains("part-0.jsonl"), e.getMessage());
    }

    @Test
    void aSingleFileIsReadAsItAlwaysWasWhateverItsName() throws IOException {
        jsonl("test.data", DAY1);
        LoadedSource<Gsm8kRow> one = load(at("test.data"), MalformedRowPolicy.FAIL);
        assertTrue(one.single());
        assertEquals(at("test.data"), one.files().get(0).path());
        assertEquals(List.of("1", "2"), one.rows().stream().map(Gsm8kRow::where).toList());
        assertEquals(Gsm8kJsonl.load(JsonlFiles.fs(new org.apache.hadoop.fs.Path(at("test.data"))),
                new org.apache.hadoop.fs.Path(at("test.data")), MalformedRowPolicy.FAIL).rows(), one.rows());
    }
}
