package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One key of a sweep's grid: the training config key, the short label point names use for it,
 * and its values in the grid file's order (scalars, null for keys that may be off, or mappings for
 * keys such as data.difficulty).
 */
public record GridAxis(String key, String label, List<JsonNode> values) {
    static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_.+-]+");

    public GridAxis {
        if (key == null || key.isBlank()) throw new IllegalArgumentException("a grid key must not be blank");
        if (label == null || !LABEL.matcher(label).matches()) {
            throw new IllegalArgumentException("label of " + key + " must be letters, digits or _ . + -, got '" + label + "'");
        }
        if (values == null || values.isEmpty()) throw new IllegalArgumentException(key + " needs at least one value");
        values = List.copyOf(values);
        HashSet<JsonNode> seen = new HashSet<>();
        for (JsonNode v : values) {
            if (v == null || v.isArray()) {
                throw new IllegalArgumentException(key + ": values must be scalars, null or mappings, got " + v);
            }
            if (!seen.add(v)) throw new IllegalArgumentException(key + ": value " + text(v) + " is listed twice");
        }
    }

    /** A value as its point name and a --set show it: 0.25, cosine, or compact JSON for a mapping. */
    static String text(JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }

    /** A value as the YAML text a {@code --set key=TEXT} reads back as the same value (JSON is YAML). */
    static String assignmentText(JsonNode value) {
        return value.toString();
    }
}
