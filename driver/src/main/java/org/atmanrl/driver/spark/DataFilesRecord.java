package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.data.DataFileUse;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.reward.data.DataFile;

/**
 * {@code data_files.json} in a run directory: every file the run read its data from, per split
 * ({@code train}, {@code test}, {@code dev}), in reading order, with its size, modification time and
 * the rows it held and the run used (docs/design.md 4), so that a retrained model names the tables it
 * was trained on:
 * <pre>
 * {"train": [{"path": "hdfs://nn/data/gsm8k/dt=2026-12-01/part-0.parquet", "format": "parquet",
 *             "size": 40960, "modification_time": 1796083200000, "modified": "2026-12-01T00:00:00Z",
 *             "rows": 1000, "rows_used": 1000}, ...],
 *  "test": [...], "dev": []}
 * </pre>
 * The arithmetic tasks read no file: their lists are empty. A resumed run whose files differ from the
 * recorded ones is warned in one line, not refused (a table may have been rewritten by a retraining
 * job on purpose), and the record is replaced by the files it now reads.
 */
final class DataFilesRecord {
    static final String FILE = "data_files.json";
    /** A record of many thousand files stays well under this. */
    private static final long LIMIT = 64L << 20;
    private static final List<String> SPLITS = List.of(Datasets.TRAIN, Datasets.TEST, Datasets.DEV);

    private DataFilesRecord() {
    }

    static ObjectNode json(List<DataFileUse> files) {
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        for (String split : SPLITS) root.putArray(split);
        for (DataFileUse use : files) {
            DataFile f = use.file();
            ObjectNode o = ((ArrayNode) root.get(use.split())).addObject();
            o.put("path", f.path());
            o.put("format", f.format().configName());
            o.put("size", f.size());
            o.put("modification_time", f.modificationTime());
            o.put("modified", Instant.ofEpochMilli(f.modificationTime()).toString());
            o.put("rows", use.rowsRead());
            o.put("rows_used", use.rowsUsed());
        }
        return root;
    }

    /** Writes the record of {@code files}, after warning through {@code warn} if a record there lists others. */
    static void write(RunDirectory out, List<DataFileUse> files, Consumer<String> warn) throws IOException {
        ObjectNode now = json(files);
        Path file = new Path(out.root(), FILE);
        if (out.fs().exists(file)) {
            String change;
            try {
                change = changes(JsonFiles.parseObject(file.toString(), HadoopFiles.readSmall(out.fs(), file, LIMIT)), now);
            } catch (RuntimeException e) { // a damaged record is replaced, not a reason to stop a resumed run
                change = "the record is unreadable (" + JsonFiles.oneLine(e.getMessage()) + ")";
            }
            if (change != null) {
                warn.accept("warning: the data files differ from those recorded in " + file + ": " + change
                        + "; training on the files as they are now");
            }
        }
        out.writeIfChanged(FILE, JsonFiles.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(now));
    }

    /** What changed between two records, e.g. {@code train: 1 added, 1 changed}, or null when nothing did. */
    static String changes(JsonNode before, JsonNode now) {
        List<String> parts = new ArrayList<>();
        for (String split : SPLITS) {
            Map<String, JsonNode> old = byPath(before.path(split));
            Map<String, JsonNode> cur = byPath(now.path(split));
            int added = 0, changed = 0;
            for (Map.Entry<String, JsonNode> e : cur.entrySet()) {
                JsonNode was = old.remove(e.getKey());
                if (was == null) added++;
                else if (!was.toString().equals(e.getValue().toString())) changed++; // as written: 10 == 10L
            }
            List<String> counts = new ArrayList<>();
            if (added > 0) counts.add(added + " added");
            if (!old.isEmpty()) counts.add(old.size() + " removed");
            if (changed > 0) counts.add(changed + " changed (size, modification time or rows)");
            if (!counts.isEmpty()) parts.add(split + ": " + String.join(", ", counts));
        }
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    private static Map<String, JsonNode> byPath(JsonNode files) {
        Map<String, JsonNode> byPath = new HashMap<>();
        for (JsonNode f : files) byPath.put(f.path("path").asText(), f);
        return byPath;
    }
}
