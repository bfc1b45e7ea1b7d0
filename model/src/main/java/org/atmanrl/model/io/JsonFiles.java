package org.atmanrl.model.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * Jackson set up for the JSON files of a model directory (config.json, the shard index, the
 * safetensors header, the tokenizer files): strict parsing (trailing content and duplicate keys
 * are faults) whose faults read as one line with the line and column, and pretty output like the
 * files HF writes.
 */
public final class JsonFiles {
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            // Jackson would quote up to 500 bytes of the file in every location.
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private static final Pattern LOCATION = Pattern.compile("\\[Source: [^;\\]]*; (line: \\d+)(, column: \\d+)?]");
    private static final Pattern LINE_BREAKS = Pattern.compile("\\s*[\\r\\n]+\\s*");

    private JsonFiles() {
    }

    /** The top-level object of {@code file}'s contents, or a ModelFormatException saying what is wrong. */
    public static ObjectNode parseObject(String file, byte[] bytes) {
        return parseObject(file, "", bytes);
    }

    /**
     * As {@link #parseObject(String, byte[])} for a part of a file, e.g. {@code "header: "} of a
     * safetensors file, named at the start of each fault.
     */
    public static ObjectNode parseObject(String file, String part, byte[] bytes) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, part + (isEndOfInput(e)
                    ? "truncated: the JSON ends unfinished at " + where(e) + " (" + describe(e) + ")"
                    : "invalid JSON at " + where(e) + ": " + describe(e)));
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array", e);
        }
        if (root == null || root.isMissingNode()) {
            throw new ModelFormatException(file, (part.isEmpty() ? "empty file" : part + "empty") + ", a JSON object expected");
        }
        if (!root.isObject()) {
            throw new ModelFormatException(file, part + "a JSON object expected at the top level, found "
                    + root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return (ObjectNode) root;
    }

    /** {@code message} on one line, so that an error stays one line in a log. */
    /** {@code key: v}, or {@code key: null} when v is NaN or infinite (JSON has no such numbers). */
    public static void putNumberOrNull(com.fasterxml.jackson.databind.node.ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    public static String oneLine(String message) {
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
