package org.atmanrl.driver.inspect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.io.BoundedInput;

/**
 * JSON objects, one per line, with the line number kept for error messages. Blank lines are
 * skipped; anything else that is not a JSON object stops the command at that line.
 */
final class JsonLinesInput {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One input object and where it came from. */
    record Line(int number, ObjectNode object) {
        UserInputException fault(String what) {
            return new UserInputException("stdin line " + number + ": " + what);
        }

        String text(String field) {
            JsonNode v = object.get(field);
            if (v == null || !v.isTextual()) {
                throw fault("expected a string field \"" + field + "\"");
            }
            return v.textValue();
        }

        /** An int array field, each id checked against {@code [0, vocab)}. */
        int[] ids(String field, int vocab) {
            JsonNode v = object.get(field);
            if (v == null || !v.isArray()) {
                throw fault("expected an array of token ids in field \"" + field + "\"");
            }
            int[] ids = new int[v.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode x = v.get(i);
                if (!x.canConvertToInt() || !x.isIntegralNumber() || x.intValue() < 0 || x.intValue() >= vocab) {
                    throw fault(field + "[" + i + "] = " + x + " is not a token id in [0, " + vocab + ")");
                }
                ids[i] = x.intValue();
            }
            return ids;
        }

        /** The input object without {@code consumed}: other fields (ids, labels) pass through. */
        ObjectNode passThrough(String consumed) {
            ObjectNode out = object.deepCopy();
            out.remove(consumed);
            return out;
        }
    }

    /**
     * A line of text or ids to tokenize or score is at most a model's context, a few MB of JSON;
     * a longer one (an endless stream without a newline) is refused before it is buffered.
     */
    static final int MAX_LINE_BYTES = 1 << 24;

    private final BoundedInput.Lines lines;

    JsonLinesInput(InputStream in) {
        this.lines = new BoundedInput.Lines(new BufferedInputStream(in, 1 << 16), "stdin", MAX_LINE_BYTES);
    }

    /** The next non-blank line, or null at the end of input; a line that is not UTF-8 JSON stops the command. */
    Line next() {
        try {
            while (lines.next()) {
                int number = (int) lines.number();
                String s = lines.text();
                if (s == null) {
                    throw new UserInputException("stdin line " + number + ": not valid UTF-8; JSON lines in UTF-8 expected");
                }
                if (s.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(s);
                } catch (JsonProcessingException e) {
                    throw new UserInputException("stdin line " + number + ": not valid JSON: " + e.getOriginalMessage());
                }
                if (!node.isObject()) {
                    throw new UserInputException("stdin line " + number + ": expected a JSON object, got " + node.getNodeType());
                }
                return new Line(number, (ObjectNode) node);
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
    }

    static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
