package org.atmanrl.reward.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;

/**
 * Reads the files of a {@link DataSource} in order, each by its {@link DataFormat}, every row
 * through the one parser of its task, so that a Parquet row and a JSON line are checked alike and
 * a fault names the file and row either way (docs/design.md 4).
 */
final class DataTables {
    private DataTables() {
    }

    /**
     * @param inPart the row as from the file of that part; not called for a source of one plain
     *               file, whose rows keep the part "" and so their ids
     */
    static <T> LoadedSource<T> load(Configuration conf, List<DataFile> files, MalformedRowPolicy policy,
                                    JsonlReader.RowParser<T> parser, BiFunction<T, String, T> inPart)
            throws IOException {
        List<T> rows = new ArrayList<>();
        List<DatasetReport> reports = new ArrayList<>(files.size());
        for (DataFile file : files) {
            Path path = new Path(file.path());
            FileSystem fs = HadoopFiles.fileSystem(path, conf);
            JsonlReader.RowParser<T> inFile = file.part().isEmpty() ? parser
                    : (node, line) -> inPart.apply(parser.parse(node, line), file.part());
            reports.add(file.format() == DataFormat.PARQUET
                    ? ParquetRows.read(fs, path, policy, inFile, rows::add)
                    : JsonlReader.read(fs, path, policy, inFile, rows::add));
        }
        return new LoadedSource<>(files, reports, rows);
    }
}
