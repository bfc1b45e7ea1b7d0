package org.atmanrl.driver.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.model.io.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** results.csv opened in a spreadsheet: text that would run as a formula is quoted, numbers stay numbers. */
class SweepCsvTest {
    @TempDir
    java.nio.file.Path tmp;

    @Test
    void textThatASpreadsheetWouldRunGetsAQuoteAndNumbersAreLeftAlone() {
        for (String text : List.of("=1+2", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "-", "-x", "+5", "-0.5.1", "--1")) {
            assertEquals("'" + text, SpreadsheetCsv.neutralised(text), text);
        }
        for (String kept : List.of("", "0", "-0.5", "0.25", "-12", "-1.0E-5", "2.5e+3", "-.5", "alpha=0.5", "a=b", "x-1")) {
            assertEquals(kept, SpreadsheetCsv.neutralised(kept), kept);
        }
    }

    @Test
    void pointNamesGridValuesAndMessagesAreNeutralisedButMetricCellsAreNot() throws Exception {
        java.nio.file.Path grid = tmp.resolve("grid.yaml");
        Files.writeString(tmp.resolve("base.yaml"), "model: m\n");
        Files.writeString(grid, "base: base.yaml\noutput: out\ngrid:\n  model: ['=1+2', '@x']\nlabels: {model: -d}\n");
        SweepPlan plan = SweepPlan.of(SweepGrid.read(new Configuration(), grid.toString(), List.of()), new Configuration());
        SweepResults results = new SweepResults(plan);
        results.set(0, new SweepResults.PointResult(SweepResults.Status.FINISHED,
                JsonFiles.MAPPER.readTree("{\"steps\": 2, \"after\": {\"accuracy\": 0.5, \"mean_saliency\": -0.5,"
                        + " \"mean_necessity\": -1.0E-5}}"), null));
        results.set(1, new SweepResults.PointResult(SweepResults.Status.FAILED, null, "-cmd|' /C calc'!A0"));

        String text = results.csv();
        assertTrue(text.lines().findFirst().orElseThrow().endsWith(",wrong_hint_accuracy_before,message"),
                "a long name is quoted only when it must be: " + text);
        List<List<String>> csv = parse(text);
        List<String> header = csv.get(0);
        List<String> finished = csv.get(1), failed = csv.get(2);
        assertEquals("'-d==1+2", finished.get(header.indexOf("point")));
        assertEquals("'=1+2", finished.get(header.indexOf("model")));
        assertEquals("-0.5", finished.get(header.indexOf("r_sal")));
        assertEquals("-1.0E-5", finished.get(header.indexOf("N")));
        assertEquals("0.5", finished.get(header.indexOf("accuracy")));
        assertEquals("'-d=_x", failed.get(header.indexOf("point")));
        assertEquals("'@x", failed.get(header.indexOf("model")));
        assertEquals("'-cmd|' /C calc'!A0", failed.get(header.indexOf("message")));
    }

    static List<List<String>> parse(String csv) throws Exception {
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.WRAP_AS_ARRAY);
        try (MappingIterator<List<String>> it = mapper.readerForListOf(String.class).readValues(csv)) {
            return it.readAll();
        }
    }
}
