package org.atmanrl.driver.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes a config tree as block YAML, one key a line, a blank line before each section. Written by
 * hand rather than by Jackson's generator, whose minimal quoting leaves strings such as {@code 1e3}
 * and {@code 0x10} bare, so that they would load back as numbers.
 */
final class YamlText {
    private static final String HEADER = """
            # atmanrl train: the resolved training config, every key with the value the run used.
            # Loads back with --config; deploy/configs/embedded.yaml documents each key.

            """;
    /** Text that may go unquoted if YAML reads it back as the same text (paths, enum names). */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./][A-Za-z0-9_./:@+-]*");

    private YamlText() {
    }

    static String write(ObjectNode root) {
        StringBuilder out = new StringBuilder(HEADER);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getValue().isObject()) out.append('\n'); // a blank line before each section
            entry(out, "", field.getKey(), field.getValue());
        }
        return out.toString();
    }

    private static void entry(StringBuilder out, String indent, String key, JsonNode value) {
        out.append(indent).append(key).append(':');
        if (value.isObject()) {
            out.append('\n');
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                entry(out, indent + "  ", field.getKey(), field.getValue());
            }
        } else {
            out.append(' ').append(scalar(value)).append('\n');
        }
    }

    private static String scalar(JsonNode value) {
        if (value.isTextual()) return text(value.textValue());
        // Double.toString is the shortest text that reads back as the same double: 3.0E-5 -> 3.0e-5.
        if (value.isFloatingPointNumber()) return Double.toString(value.doubleValue()).replace('E', 'e');
        return value.asText(); // integers, booleans, null
    }

    private static String text(String s) {
        if (PLAIN.matcher(s).matches() && readsBackAsText(s)) return s;
        return TextNode.valueOf(s).toString(); // a JSON string is a YAML double-quoted scalar: same escapes
    }

    private static boolean readsBackAsText(String s) {
        try {
            JsonNode back = ConfigFormat.YAML.parse("v: " + s).get("v");
            return back != null && back.isTextual() && back.textValue().equals(s);
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
