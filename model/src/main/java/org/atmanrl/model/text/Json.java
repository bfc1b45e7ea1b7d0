package org.atmanrl.model.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.regex.Pattern;
import org.atmanrl.model.io.ModelFormatException;

/**
 * Jackson set up for the tokenizer files: strict parsing whose faults read as one line with the
 * line and column (the Rust library reports a column of its own minified view, and some of its
 * messages name no place at all), and pretty output like the files HF writes.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            // Jackson would quote up to 500 bytes of the file in every location.
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private static final Pattern LOCATION = Pattern.compile("\\[Source: [^;\\]]*; (line: \\d+)(, column: \\d+)?]");
    private static final Pattern LINE_BREAKS = Pattern.compile("\\s*[\\r\\n]+\\s*");

    private Json() {
    }

    /** The top-level object of {@code file}'s contents, or a ModelFormatException saying what is wrong. */
    static JsonNode parseObject(String file, byte[] bytes) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, isEndOfInput(e)
                    ? "truncated: the JSON ends unfinished at " + where(e) + " (" + describe(e) + ")"
                    : "invalid JSON at " + where(e) + ": " + describe(e));
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array", e);
        }
        if (root == null || root.isMissingNode()) {
            throw new ModelFormatException(file, "empty file, a JSON object expected");
        }
        if (!root.isObject()) {
            throw new ModelFormatException(file, "a JSON object expected at the top level, found "
                    + root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return root;
    }

    /** {@code message} on one line, so that an error stays one line in a log. */
    static String oneLine(String message) {
        return message == null ? "" : LINE_BREAKS.matcher(message.strip()).replaceAll(" ");
    }

    private static String where(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return at == null ? "an unknown place" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    /** Jackson says so with two exception types, depending on where the input stops. */
    private static boolean isEndOfInput(JsonProcessingException e) {
        return e instanceof JsonEOFException || e.getOriginalMessage().startsWith("Unexpected end-of-input");
    }

    private static String describe(JsonProcessingException e) {
        if (e.getOriginalMessage().startsWith("Trailing token")) {
            return "more content follows the end of the JSON value";
        }
        String message = LOCATION.matcher(e.getOriginalMessage())
                .replaceAll(m -> (m.group(1) + (m.group(2) == null ? "" : m.group(2))).replace(":", ""));
        return oneLine(message);
    }
}
