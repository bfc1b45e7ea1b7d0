package org.atmanrl.reward.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads GSM8K JSON lines ({@code {"question": string, "answer": string}}, as in openai/grade-school-math)
 * from any Hadoop path. A row is malformed when a field is missing, not a string or blank, when
 * {@code answer} has no {@code ####}, or when what follows its last {@code ####} is not one number
 * that {@link Gsm8kVerifier} reads (so every loaded row can be verified against).
 */
public final class Gsm8kJsonl {
    private Gsm8kJsonl() {
    }

    /** All rows of {@code file}, in order, with the report of what was skipped. */
    public static LoadedDataset<Gsm8kRow> load(FileSystem fs, Path file, MalformedRowPolicy policy) throws IOException {
        return JsonlReader.load(fs, file, policy, Gsm8kJsonl::parse);
    }

    /**
     * All rows of a {@link DataSource}'s {@code files} (JSON lines and Parquet alike), in order, with
     * each file's report.
     */
    public static LoadedSource<Gsm8kRow> load(Configuration conf, List<DataFile> files, MalformedRowPolicy policy)
            throws IOException {
        return DataTables.load(conf, files, policy, Gsm8kJsonl::parse, Gsm8kRow::inPart);
    }

    /** Streams the rows of {@code file} to {@code sink}, in order, holding none of them. */
    public static DatasetReport read(FileSystem fs, Path file, MalformedRowPolicy policy, Consumer<? super Gsm8kRow> sink)
            throws IOException {
        return JsonlReader.read(fs, file, policy, Gsm8kJsonl::parse, sink);
    }

    static Gsm8kRow parse(ObjectNode node, long line) throws JsonlReader.RowFault {
        String question = JsonlReader.string(node, "question", false);
        String answer = JsonlReader.string(node, "answer", false);
        if (!answer.contains(Gsm8kVerifier.DELIMITER)) {
            throw new JsonlReader.RowFault("answer", "no \"" + Gsm8kVerifier.DELIMITER
                    + "\"; the worked solution ending in \"" + Gsm8kVerifier.DELIMITER + " <number>\" expected");
        }
        Gsm8kRow row = new Gsm8kRow(line, question, answer);
        try {
            Gsm8kVerifier.DEFAULT.parseReference(row.finalAnswer());
        } catch (IllegalArgumentException e) {
            throw new JsonlReader.RowFault("answer", "the final answer \"" + row.finalAnswer() + "\" after the last \""
                    + Gsm8kVerifier.DELIMITER + "\" is not a number; one number such as 18, -3, 1,000 or 2.5 expected");
        }
        return row;
    }
}
