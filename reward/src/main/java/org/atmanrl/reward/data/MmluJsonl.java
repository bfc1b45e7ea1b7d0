package org.atmanrl.reward.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads MMLU JSON lines ({@code {"subject": string, "question": string, "choices": [4 strings],
 * "answer": "A".."D"}}, as in hendrycks/test) from any Hadoop path. {@code answer} may also be
 * the choice's index 0-3 (the form of the cais/mmlu copy on the Hugging Face hub); it is read as
 * its letter. A row is malformed when a field is missing or of another type, the subject or
 * question is blank, there are not exactly four choices or one is not a string, or the answer is
 * none of A-D (or 0-3). A choice may be an empty string.
 */
public final class MmluJsonl {
    private MmluJsonl() {
    }

    /** All rows of {@code file}, in order, with the report of what was skipped. */
    public static LoadedDataset<MmluRow> load(FileSystem fs, Path file, MalformedRowPolicy policy) throws IOException {
        return JsonlReader.load(fs, file, policy, MmluJsonl::parse);
    }

    /**
     * All rows of a {@link DataSource}'s {@code files} (JSON lines and Parquet alike), in order, with
     * each file's report.
     */
    public static LoadedSource<MmluRow> load(Configuration conf, List<DataFile> files, MalformedRowPolicy policy)
            throws IOException {
        return DataTables.load(conf, files, policy, MmluJsonl::parse, MmluRow::inPart);
    }

    /** Streams the rows of {@code file} to {@code sink}, in order, holding none of them. */
    public static DatasetReport read(FileSystem fs, Path file, MalformedRowPolicy policy, Consumer<? super MmluRow> sink)
            throws IOException {
        return JsonlReader.read(fs, file, policy, MmluJsonl::parse, sink);
    }

    static MmluRow parse(ObjectNode node, long line) throws JsonlReader.RowFault {
        String subject = JsonlReader.string(node, "subject", false);
        String question = JsonlReader.string(node, "question", false);
        JsonNode choices = node.get("choices");
        int expected = MultipleChoiceVerifier.LETTERS.length();
        if (choices == null) {
            throw new JsonlReader.RowFault("choices", "missing; an array of " + expected + " strings expected");
        }
        if (!choices.isArray() || choices.size() != expected) {
            throw new JsonlReader.RowFault("choices", "an array of " + expected + " strings expected, found "
                    + (choices.isArray() ? "an array of " + choices.size() : JsonlReader.kind(choices)));
        }
        List<String> options = new ArrayList<>(expected);
        for (int i = 0; i < expected; i++) {
            if (!choices.get(i).isTextual()) {
                throw new JsonlReader.RowFault("choices", "choice " + MultipleChoiceVerifier.LETTERS.charAt(i)
                        + " (index " + i + ") is " + JsonlReader.kind(choices.get(i)) + "; a string expected");
            }
            options.add(choices.get(i).textValue());
        }
        return new MmluRow(line, subject, question, options, answer(node.get("answer")));
    }

    private static String answer(JsonNode answer) throws JsonlReader.RowFault {
        String expected = "one of \"A\", \"B\", \"C\", \"D\" (or the index 0-3) expected";
        if (answer == null) {
            throw new JsonlReader.RowFault("answer", "missing; " + expected);
        }
        if (answer.isTextual() && answer.textValue().length() == 1
                && MultipleChoiceVerifier.LETTERS.contains(answer.textValue())) {
            return answer.textValue();
        }
        if (answer.isIntegralNumber() && answer.canConvertToInt() && answer.intValue() >= 0
                && answer.intValue() < MultipleChoiceVerifier.LETTERS.length()) {
            return String.valueOf(MultipleChoiceVerifier.LETTERS.charAt(answer.intValue()));
        }
        throw new JsonlReader.RowFault("answer", "found " + (answer.isTextual() ? "\"" + answer.textValue() + "\""
                : answer.isValueNode() ? answer.toString() : JsonlReader.kind(answer)) + "; " + expected);
    }
}
