package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gsm8kJsonlTest {
    private static final String JANET = "{\"question\": \"Janet\\u2019s ducks lay 16 eggs per day. How much does she make?\","
            + " \"answer\": \"Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\\n#### 18\"}";
    private static final String ROBE = "{\"question\": \"A robe takes 2 bolts?\", \"answer\": \"2+1=<<2+1=3>>3\\n#### 3\"}";
    private static final String BIG = "{\"question\": \"How much?\", \"answer\": \"So 1,000+80=<<1000+80=1080>>1,080\\n#### 1,080\"}";

    /** Each bad line with the field it must be blamed on (null: the line) and a part of the fault. */
    private static final String[][] BAD = {
        {"{\"question\": \"q\"}", "answer", "missing; a string expected"},
        {"{\"answer\": \"#### 3\"}", "question", "missing; a string expected"},
        {"{\"question\": 5, \"answer\": \"#### 3\"}", "question", "a string expected, found number"},
        {"{\"question\": \"  \", \"answer\": \"#### 3\"}", "question", "empty; a non-empty string expected"},
        {"{\"question\": \"q\", \"answer\": null}", "answer", "a string expected, found null"},
        {"{\"question\": \"q\", \"answer\": \"the answer is 3\"}", "answer", "no \"####\"; the worked solution ending in \"#### <number>\" expected"},
        {"{\"question\": \"q\", \"answer\": \"3 #### three\"}", "answer", "the final answer \"three\" after the last \"####\" is not a number"},
        {"{\"question\": \"q\", \"answer\": \"#### \"}", "answer", "the final answer \"\" after the last \"####\" is not a number"},
        {"{\"question\": \"q\", \"answer\": \"#### 3\"", null, "invalid JSON at column"},
        {"[\"q\", \"#### 3\"]", null, "a JSON object expected, found array"},
        {"{\"question\": \"q\", \"question\": \"r\", \"answer\": \"#### 3\"}", null, "Duplicate field 'question'"},
        {"{\"question\": \"q\", \"answer\": \"#### 3\"} {}", null, "invalid JSON"},
    };

    @TempDir
    java.nio.file.Path dir;

    @Test
    void goodRowsLoadInOrderWithTheirLinesAndAnswers() throws IOException {
        Path file = JsonlFiles.write(dir, "train.jsonl", JANET, ROBE, BIG);
        LoadedDataset<Gsm8kRow> loaded = Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL);
        List<Gsm8kRow> rows = loaded.rows();
        assertEquals(3, rows.size());
        assertEquals(List.of(1L, 2L, 3L), rows.stream().map(Gsm8kRow::line).toList());
        assertEquals("Janet\u2019s ducks lay 16 eggs per day. How much does she make?", rows.get(0).question());
        assertEquals("18", rows.get(0).finalAnswer());
        assertEquals("1,080", rows.get(2).finalAnswer());
        assertEquals("Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day.\n#### 18",
                rows.get(0).solution());
        assertEquals("So 1,000+80=1,080\n#### 1,080", rows.get(2).solution());
        for (Gsm8kRow row : rows) {
            assertTrue(Gsm8kVerifier.DEFAULT.verify(row.solution(), row.finalAnswer()).correct(), row.solution());
        }
        assertEquals(new DatasetReport(file.toString(), 3, 0, 0, List.of()), loaded.report());
    }

    @Test
    void skipReportsEveryBadRowWithFileLineFieldAndFault() throws IOException {
        List<String> lines = new ArrayList<>(List.of(JANET, ""));
        for (String[] bad : BAD) {
            lines.add(bad[0]);
        }
        lines.add("   ");
        lines.add(ROBE);
        Path file = JsonlFiles.write(dir, "mixed.jsonl", lines.toArray(String[]::new));
        LoadedDataset<Gsm8kRow> loaded = Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.SKIP);
        DatasetReport report = loaded.report();

        assertEquals(List.of(1L, (long) BAD.length + 4), loaded.rows().stream().map(Gsm8kRow::line).toList());
        assertEquals(2, report.rows());
        assertEquals(2, report.blankLines());
        assertEquals(BAD.length, report.malformedCount());
        assertEquals(lines.size(), report.rows() + report.blankLines() + report.malformedCount(), "no line unaccounted for");
        for (int i = 0; i < BAD.length; i++) {
            MalformedRow row = report.malformed().get(i);
            assertEquals(file.toString(), row.file());
            assertEquals(i + 3, row.line(), BAD[i][0]);
            assertEquals(BAD[i][1], row.field(), BAD[i][0]);
            assertTrue(row.fault().contains(BAD[i][2]), row.fault());
            assertTrue(row.message().startsWith(file + ":" + (i + 3) + ": "), row.message());
            assertFalse(row.message().contains("\n"), row.message());
        }
        assertTrue(report.summary().contains("2 rows, 12 malformed rows skipped (lines 3, 4, 5"), report.summary());
    }

    @Test
    void failStopsAtTheFirstBadRowNamingFileLineFieldAndWhatWasExpected() {
        for (String[] bad : BAD) {
            Path file = JsonlFiles.write(dir, "bad.jsonl", JANET, bad[0], ROBE);
            DatasetFormatException e = assertThrows(DatasetFormatException.class,
                    () -> Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL));
            String expectedStart = file + ":2: " + (bad[1] == null ? "" : "field \"" + bad[1] + "\": ");
            assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertEquals(2, e.row().line());
        }
    }

    @Test
    void readStreamsRowsToTheSinkInOrder() throws IOException {
        Path file = JsonlFiles.write(dir, "s.jsonl", ROBE, "not json", JANET);
        List<String> answers = new ArrayList<>();
        DatasetReport report = Gsm8kJsonl.read(JsonlFiles.fs(file), file, MalformedRowPolicy.SKIP,
                row -> answers.add(row.finalAnswer()));
        assertEquals(List.of("3", "18"), answers);
        assertEquals(1, report.malformedCount());
        assertNull(report.malformed().get(0).field());
    }

    @Test
    void byteOrderMarkAndWindowsLineEndsAreAccepted() throws IOException {
        byte[] bytes = ("\uFEFF" + ROBE + "\r\n" + JANET + "\r\n").getBytes(StandardCharsets.UTF_8);
        Path file = JsonlFiles.writeBytes(dir, "crlf.jsonl", bytes);
        LoadedDataset<Gsm8kRow> loaded = Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL);
        assertEquals(2, loaded.rows().size());
        assertEquals("18", loaded.rows().get(1).finalAnswer());
    }

    @Test
    void invalidUtf8IsAMalformedRowOnItsOwnLine() throws IOException {
        byte[] good = (ROBE + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[good.length * 3];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(good, 0, bytes, i * good.length, good.length);
        }
        bytes[good.length + 15] = (byte) 0xC3; // a lead byte without its continuation, in line 2
        Path file = JsonlFiles.writeBytes(dir, "latin.jsonl", bytes);
        LoadedDataset<Gsm8kRow> loaded = Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.SKIP);
        assertEquals(List.of(1L, 3L), loaded.rows().stream().map(Gsm8kRow::line).toList());
        assertEquals(file + ":2: not valid UTF-8 text; JSON lines in UTF-8 expected",
                loaded.report().malformed().get(0).message());
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL));
        assertTrue(e.getMessage().startsWith(file + ":2: not valid UTF-8"), e.getMessage());
    }

    @Test
    void aLastLineWithoutLineBreakIsRead() throws IOException {
        Path file = JsonlFiles.writeBytes(dir, "nolf.jsonl", (ROBE + "\n" + JANET).getBytes(StandardCharsets.UTF_8));
        assertEquals(2, Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL).rows().size());
    }

    @Test
    void aMissingFileIsAnIoErrorNamingIt() {
        Path missing = new Path(dir.resolve("absent.jsonl").toUri());
        IOException e = assertThrows(IOException.class, () -> Gsm8kJsonl.load(JsonlFiles.fs(missing), missing, MalformedRowPolicy.SKIP));
        assertTrue(e.getMessage().contains("absent.jsonl"), e.getMessage());
    }

    @Test
    void onlyTheFirstThousandBadRowsAreListedButAllAreCounted() throws IOException {
        String[] lines = new String[1500];
        java.util.Arrays.fill(lines, "garbage");
        lines[700] = ROBE;
        Path file = JsonlFiles.write(dir, "garbage.jsonl", lines);
        DatasetReport report = Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.SKIP).report();
        assertEquals(1, report.rows());
        assertEquals(1499, report.malformedCount());
        assertEquals(DatasetReport.LISTED_LIMIT, report.malformed().size());
    }
}
