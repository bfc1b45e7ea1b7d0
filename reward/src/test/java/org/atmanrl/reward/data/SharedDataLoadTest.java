package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loads the real GSM8K and MMLU files of the shared test data (skipped when they are absent). */
class SharedDataLoadTest {
    @ParameterizedTest
    @CsvSource({"gsm8k/test.jsonl, 1319", "gsm8k/train.jsonl, 7473"})
    void gsm8kLoadsWhollyAndEveryReferenceAndSolutionVerifies(String relative, int expectedRows) throws IOException {
        Path file = SharedData.file(relative);
        LoadedDataset<Gsm8kRow> loaded = Gsm8kJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL);
        assertEquals(expectedRows, loaded.rows().size());
        assertEquals(expectedRows, loaded.report().rows());
        assertEquals(0, loaded.report().malformedCount());
        for (Gsm8kRow row : loaded.rows()) {
            Rational reference = Gsm8kVerifier.DEFAULT.parseReference(row.finalAnswer());
            assertTrue(reference.isInteger(), row.line() + ": " + row.finalAnswer());
            String solution = row.solution();
            assertTrue(!solution.contains("<<") && !solution.contains(">>"), row.line() + ": " + solution);
            Verdict v = Gsm8kVerifier.DEFAULT.verify(solution, row.finalAnswer());
            assertTrue(v.correct(), row.line() + ": " + solution);
        }
    }

    @ParameterizedTest
    @CsvSource({"mmlu/mmlu_dev.jsonl, 285", "mmlu/mmlu_val.jsonl, 1542", "mmlu/mmlu_test.jsonl, 14079"})
    void mmluLoadsWithoutAMalformedRow(String relative, int expectedRows) throws IOException {
        Path file = SharedData.file(relative);
        LoadedDataset<MmluRow> loaded = MmluJsonl.load(JsonlFiles.fs(file), file, MalformedRowPolicy.FAIL);
        assertEquals(SharedData.nonBlankLines(file), loaded.rows().size(), "every line is a row");
        assertEquals(expectedRows, loaded.rows().size(), "the 2020 hendrycks/test version (docs/design.md 5)");
        assertEquals(0, loaded.report().malformedCount());
        Map<String, Integer> letters = new HashMap<>();
        for (MmluRow row : loaded.rows()) {
            letters.merge(row.answer(), 1, Integer::sum);
        }
        assertEquals(4, letters.size(), letters.toString());
    }
}
