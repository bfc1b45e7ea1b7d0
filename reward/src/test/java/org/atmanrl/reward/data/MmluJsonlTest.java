package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MmluJsonlTest {
    private static final String ALGEBRA = "{\"subject\": \"abstract_algebra\", \"question\": \"Find all c in Z_3 such that"
            + " Z_3[x]/(x^2 + c) is a field.\", \"choices\": [\"0\", \"1\", \"2\", \"3\"], \"answer\": \"B\"}";
    private static final String INDEXED = "{\"subject\": \"anatomy\", \"question\": \"Which bone?\","
            + " \"choices\": [\"a\", \"b\", \"\", \"d\"], \"answer\": 3, \"extra\": 1}";

    private static final String[][] BAD = {
        {"{\"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": \"A\"}", "subject", "missing; a string expected"},
        {"{\"subject\": \"s\", \"question\": \"\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": \"A\"}", "question", "empty"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"answer\": \"A\"}", "choices", "missing; an array of 4 strings expected"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\"], \"answer\": \"A\"}", "choices", "an array of 4 strings expected, found an array of 3"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": \"abcd\", \"answer\": \"A\"}", "choices", "an array of 4 strings expected, found string"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",3,\"d\"], \"answer\": \"A\"}", "choices", "choice C (index 2) is number; a string expected"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"]}", "answer", "missing; one of \"A\", \"B\", \"C\", \"D\" (or the index 0-3) expected"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": \"E\"}", "answer", "found \"E\"; one of"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": \"b\"}", "answer", "found \"b\"; one of"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": 4}", "answer", "found 4; one of"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": 1.0}", "answer", "found 1.0; one of"},
        {"{\"subject\": \"s\", \"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": [\"A\"]}", "answer", "found array; one of"},
        {"{\"subject\": \"s\"", null, "invalid JSON"},
    };

    @TempDir
    java.nio.file.Path dir;

    @Test
    void goodRowsLoadWithLettersFromLettersOrIndices() throws IOException {
        Path file = JsonlFiles.write(dir, "mmlu_dev.jsonl", ALGEBRA, INDEXED);
        LoadedDataset<MmluRow> loaded = MmluJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL);
        assertEquals(List.of(
                new MmluRow(1, "abstract_algebra", "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.",
                        List.of("0", "1", "2", "3"), "B"),
                new MmluRow(2, "anatomy", "Which bone?", List.of("a", "b", "", "d"), "D")), loaded.rows());
        assertEquals("abstract algebra", loaded.rows().get(0).subjectWords());
        assertEquals(0, loaded.report().malformedCount());
    }

    @Test
    void skipReportsEachBadRowAndFailNamesIt() throws IOException {
        List<String> lines = new ArrayList<>(List.of(ALGEBRA));
        for (String[] bad : BAD) {
            lines.add(bad[0]);
        }
        lines.add(INDEXED);
        Path file = JsonlFiles.write(dir, "mixed.jsonl", lines.toArray(String[]::new));
        LoadedDataset<MmluRow> loaded = MmluJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.SKIP);
        assertEquals(List.of(1L, (long) BAD.length + 2), loaded.rows().stream().map(MmluRow::line).toList());
        assertEquals(BAD.length, loaded.report().malformedCount());
        for (int i = 0; i < BAD.length; i++) {
            MalformedRow row = loaded.report().malformed().get(i);
            assertEquals(i + 2, row.line());
            assertEquals(BAD[i][1], row.field(), BAD[i][0]);
            assertTrue(row.fault().contains(BAD[i][2]), row.fault());
        }
        for (String[] bad : BAD) {
            Path one = JsonlFiles.write(dir, "one.jsonl", ALGEBRA, bad[0]);
            DatasetFormatException e = assertThrows(DatasetFormatException.class,
                    () -> MmluJsonl.load(JsonlFiles.fs(one), one, MalformedRowPolicy.FAIL));
            assertTrue(e.getMessage().startsWith(one + ":2: " + (bad[1] == null ? "" : "field \"" + bad[1] + "\": ")
                    ), e.getMessage());
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
        }
    }

    @Test
    void rowRecordRejectsWhatTheLoaderRejects() {
        assertThrows(IllegalArgumentException.class, () -> new MmluRow(1, "s", "q", List.of("a", "b", "c"), "A"));
        assertThrows(IllegalArgumentException.class, () -> new MmluRow(1, "s", "q", List.of("a", "b", "c", "d"), "E"));
    }
}
