package org.atmanrl.driver.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Writes a config tree as block YAML, one key a line, a blank line before each section, and beside
 * each key or section its comment, wrapped. Written by hand rather than by Jackson's generator,
 * whose minimal quoting leaves strings such as {@code 1e3} and {@code 0x10} bare, so that they would
 * load back as numbers.
 */
final class YamlText {
    private static final String HEADER = """
            # atmanrl train: the resolved training config, every key with the value the run used.
            # Loads back with --config. Each comment says what the key means and the values it allows.

            """;
    /** Text that may go unquoted if YAML reads it back as the same text (paths, enum names). */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./][A-Za-z0-9_./:@+-]*");
    /** Comments start in this column, or two spaces after a longer line, and wrap before WIDTH. */
    private static final int COMMENT_COLUMN = 28, WIDTH = 120;
    /** A space in a comment that wrapping does not break at; written as a space. */
    static final char NO_BREAK = '\u00a0';

    private YamlText() {
    }

    /** {@code root} as YAML; {@code comments} gives the comment of a dotted key or section name, or null. */
    static String write(ObjectNode root, Function<String, String> comments) {
        StringBuilder out = new StringBuilder(HEADER);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getValue().isObject()) out.append('\n'); // a blank line before each section
            entry(out, "", field.getKey(), field.getValue(), comments);
        }
        return out.toString();
    }

    private static void entry(StringBuilder out, String path, String key, JsonNode value,
                              Function<String, String> comments) {
        String name = path.isEmpty() ? key : path + "." + key;
        String indent = "  ".repeat(path.isEmpty() ? 0 : path.split("\\.").length);
        String line = indent + key + ":" + (value.isObject() ? "" : " " + scalar(value));
        commented(out, line, comments.apply(name));
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            entry(out, name, field.getKey(), field.getValue(), comments);
        }
    }

    /** {@code line} and its comment, the comment's words wrapped onto lines of their own in the same column. */
    private static void commented(StringBuilder out, String line, String comment) {
        if (comment == null || comment.isEmpty()) {
            out.append(line).append('\n');
            return;
        }
        int column = Math.max(COMMENT_COLUMN, line.length() + 2);
        StringBuilder text = new StringBuilder(line).append(" ".repeat(column - line.length())).append('#');
        for (String word : comment.split(" ")) {
            if (text.length() + 1 + word.length() > WIDTH && text.length() > column + 1) {
                out.append(text).append('\n');
                text = new StringBuilder(" ".repeat(column)).append('#');
            }
            text.append(' ').append(word.replace(NO_BREAK, ' '));
        }
        out.append(text).append('\n');
    }

    private static String scalar(JsonNode value) {
        if (value.isTextual()) return text(value.textValue());
        if (value.isArray()) { // a flow sequence of scalars: data.train's list of paths
            StringBuilder list = new StringBuilder("[");
            for (JsonNode item : value) list.append(list.length() == 1 ? "" : ", ").append(scalar(item));
            return list.append(']').toString();
        }
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
