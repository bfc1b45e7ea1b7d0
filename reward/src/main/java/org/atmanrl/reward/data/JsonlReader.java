package org.atmanrl.reward.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.BoundedInput;
import org.atmanrl.model.io.JsonFiles;

/**
 * Streams a JSON-lines file from any Hadoop path one line at a time (a file is never read whole),
 * turns each non-blank line into a row with a {@link RowParser} and applies the {@link
 * MalformedRowPolicy} to the lines it rejects. Lines are 1-based; the file must be UTF-8 (a byte
 * order mark at its start is allowed); a line that is not valid UTF-8 is a malformed row. Lines end
 * in {@code \n} or {@code \r\n}. Fields a parser does not read are ignored.
 */
final class JsonlReader {
    /**
     * A row is a question with its answer or choices, a few KB; a longer line is the wrong file
     * (docs/design.md 4), refused before it is buffered.
     */
    static final int MAX_LINE_BYTES = 1 << 20;

    private JsonlReader() {
    }

    /** Reads one row from a JSON object, or throws a {@link RowFault} naming the field and what was expected. */
    interface RowParser<T> {
        T parse(ObjectNode row, long line) throws RowFault;
    }

    /** A row's fault: the field ({@code null} for the whole line) and what was wrong and expected. */
    static final class RowFault extends Exception {
        final String field;

        RowFault(String field, String fault) {
            super(fault, null, false, false);
            this.field = field;
        }
    }

    /** All rows of {@code file}, in order, with the report of what was skipped. */
    static <T> LoadedDataset<T> load(FileSystem fs, Path file, MalformedRowPolicy policy, RowParser<T> parser)
            throws IOException {
        List<T> rows = new ArrayList<>();
        DatasetReport report = read(fs, file, policy, parser, rows::add);
        return new LoadedDataset<>(rows, report);
    }

    static <T> DatasetReport read(FileSystem fs, Path file, MalformedRowPolicy policy, RowParser<T> parser,
            Consumer<? super T> sink) throws IOException {
        String name = file.toString();
        RowTally<T> tally = new RowTally<>(name, policy, sink);
        long line = 0;
        long blank = 0;
        try (InputStream in = new BufferedInputStream(BoundedInput.open(fs, file), 1 << 16)) {
            BoundedInput.Lines lines = new BoundedInput.Lines(in, name, MAX_LINE_BYTES);
            while (lines.next()) {
                line++;
                try {
                    String text = lines.text();
                    if (text == null) {
                        throw new RowFault(null, "not valid UTF-8 text; JSON lines in UTF-8 expected");
                    }
                    if (line == 1 && text.startsWith("\uFEFF")) {
                        text = text.substring(1);
                    }
                    if (text.isBlank()) {
                        blank++;
                        continue;
                    }
                    tally.row(parser.parse(object(text), line));
                } catch (RowFault fault) {
                    tally.fault(line, fault);
                }
            }
        }
        return tally.report(blank);
    }

    private static ObjectNode object(String line) throws RowFault {
        JsonNode node;
        try {
            node = JsonFiles.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new RowFault(null, "invalid JSON" + (at == null ? "" : " at column " + at.getColumnNr()) + ": "
                    + JsonFiles.oneLine(e.getOriginalMessage()) + "; one JSON object per line expected");
        }
        if (!node.isObject()) {
            throw new RowFault(null, "a JSON object expected, found " + kind(node));
        }
        return (ObjectNode) node;
    }

    /** A required string field, non-blank unless {@code mayBeBlank}. */
    static String string(ObjectNode row, String field, boolean mayBeBlank) throws RowFault {
        JsonNode value = row.get(field);
        if (value == null) {
            throw new RowFault(field, "missing; a string expected");
        }
        if (!value.isTextual()) {
            throw new RowFault(field, "a string expected, found " + kind(value));
        }
        if (!mayBeBlank && value.textValue().isBlank()) {
            throw new RowFault(field, "empty; a non-empty string expected");
        }
        return value.textValue();
    }

    static String kind(JsonNode node) {
        return node.isNull() ? "null" : node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }
}
