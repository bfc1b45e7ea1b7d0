package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.data.DataFileUse;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.reward.data.DataFile;
import org.atmanrl.reward.data.DataFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** data_files.json (issue 20.1): what a run read, and the one-line warning when a resume reads other files. */
class DataFilesRecordTest {
    @TempDir
    java.nio.file.Path tmp;

    private static DataFileUse use(String split, String path, long size, long rows) {
        return new DataFileUse(split, new DataFile(path, "p", DataFormat.PARQUET, size, 1_796_083_200_000L), rows, rows);
    }

    @Test
    void theRecordListsEachSplitsFilesAndAResumeOverOtherFilesWarnsOnce() throws Exception {
        Path root = new Path(tmp.toUri());
        RunDirectory out = new RunDirectory(HadoopFiles.fileSystem(root, new Configuration()), root);
        List<String> warnings = new ArrayList<>();
        List<DataFileUse> first = List.of(use("train", "/d/a.parquet", 10, 3), use("test", "/d/t.jsonl", 5, 2));
        DataFilesRecord.write(out, first, warnings::add);
        JsonNode json = JsonFiles.MAPPER.readTree(tmp.resolve(DataFilesRecord.FILE).toFile());
        assertEquals("/d/a.parquet", json.path("train").get(0).path("path").asText());
        assertEquals("2026-12-01T00:00:00Z", json.path("train").get(0).path("modified").asText());
        assertEquals(3, json.path("train").get(0).path("rows_used").asInt());
        assertEquals(0, json.path("dev").size());
        DataFilesRecord.write(out, first, warnings::add);
        assertEquals(List.of(), warnings, "the same files: no warning");

        DataFilesRecord.write(out, List.of(use("train", "/d/a.parquet", 11, 3), use("train", "/d/b.parquet", 4, 1)),
                warnings::add);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).endsWith(DataFilesRecord.FILE + ": train: 1 added, 1 changed (size, modification"
                + " time or rows); test: 1 removed; training on the files as they are now"), warnings.get(0));
        assertEquals(2, JsonFiles.MAPPER.readTree(tmp.resolve(DataFilesRecord.FILE).toFile()).path("train").size());

        Files.writeString(tmp.resolve(DataFilesRecord.FILE), "{not json");
        warnings.clear();
        DataFilesRecord.write(out, first, warnings::add);
        assertTrue(warnings.get(0).contains("the record is unreadable"), warnings.get(0));
        assertNull(DataFilesRecord.changes(DataFilesRecord.json(first), DataFilesRecord.json(first)));
    }
}
