package org.atmanrl.driver.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;

/**
 * Writes one JSON object to a file on any Hadoop file system: under a temporary sibling name,
 * then renamed, so a reader never sees half a file; an existing file is never overwritten.
 */
final class JsonReportFile {
    private JsonReportFile() {
    }

    static void write(FileSystem fs, Path file, ObjectNode json) throws IOException {
        HadoopFiles.writeAtomically(fs, file, tmp -> {
            try (OutputStream out = fs.create(tmp, false)) {
                out.write((json.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        });
    }
}
