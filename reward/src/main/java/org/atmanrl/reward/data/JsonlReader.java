package org.atmanrl.reward.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.JsonFiles;

/**
 * Streams a JSON-lines file from any Hadoop path one line at a time (a file is never read whole),
 * turns each non-blank line into a row with a {@link RowParser} and applies the {@link
 * MalformedRowPolicy} to the lines it rejects. Lines are 1-based; the file must be UTF-8 (a byte
 * order mark at its start is allowed); a line that is not valid UTF-8 is a malformed row. Lines end
 * in {@code \n} or {@code \r\n}. Fields a parser does not read are ignored.
 */
final class JsonlReader {
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

    static <T> DatasetReport read(FileSystem fs, Path file, MalformedRowPolicy policy, RowParser<T> parser,
            Consumer<? super T> sink) throws IOException {
        Objects.requireNonNull(policy, "policy");
        String name = file.toString();
        long line = 0;
        long rows = 0;
        long blank = 0;
        long malformedCount = 0;
        List<MalformedRow> malformed = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(fs.open(file), 1 << 16)) {
            LineBytes bytes = new LineBytes();
            while (bytes.readLine(in)) {
                line++;
                T row;
                try {
                    String text = bytes.decode();
                    if (line == 1 && text.startsWith("\uFEFF")) {
                        text = text.substring(1);
                    }
                    if (text.isBlank()) {
                        blank++;
                        continue;
                    }
                    row = parser.parse(object(text), line);
                } catch (RowFault fault) {
                    MalformedRow bad = new MalformedRow(name, line, fault.field, fault.getMessage());
                    if (policy == MalformedRowPolicy.FAIL) {
                        throw new DatasetFormatException(bad);
                    }
                    malformedCount++;
                    if (malformed.size() < DatasetReport.LISTED_LIMIT) {
                        malformed.add(bad);
                    }
                    continue;
                }
                rows++;
                sink.accept(row);
            }
        }
        return new DatasetReport(name, rows, blank, malformedCount, malformed);
    }

    /**
     * One line's bytes at a time, without its {@code \n} or {@code \r\n}; decoded per line, so a
     * fault in the encoding is blamed on its own line.
     */
    private static final class LineBytes {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        private byte[] buffer = new byte[1024];
        private int length;

        /** Reads the next line; false at the end of the input (a last line without {@code \n} still counts). */
        boolean readLine(InputStream in) throws IOException {
            length = 0;
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (length == buffer.length) {
                    buffer = Arrays.copyOf(buffer, buffer.length * 2);
                }
                buffer[length++] = (byte) b;
            }
            if (b < 0 && length == 0) {
                return false;
            }
            if (length > 0 && buffer[length - 1] == '\r') {
                length--;
            }
            return true;
        }

        String decode() throws RowFault {
            try {
                return decoder.decode(ByteBuffer.wrap(buffer, 0, length)).toString();
            } catch (CharacterCodingException e) {
                throw new RowFault(null, "not valid UTF-8 text; JSON lines in UTF-8 expected");
            }
        }
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
