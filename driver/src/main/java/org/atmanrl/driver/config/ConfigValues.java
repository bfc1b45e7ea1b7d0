package org.atmanrl.driver.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A training config under construction: one typed value per key, and for each assigned key where
 * its value came from, so that every fault names the file or {@code --set} to fix.
 */
final class ConfigValues {
    private final Map<String, Object> values = new LinkedHashMap<>();
    /** Each key's value before anything was assigned. */
    private final Map<String, Object> base;
    /** Each assigned key's value before its latest assignment. */
    private final Map<String, Object> beforeLatest = new HashMap<>();
    private final Map<String, String> sources = new HashMap<>();
    /** Assigned keys, the latest assignment last. */
    private final List<String> assigned = new ArrayList<>();
    private final String unassignedSource;

    /** Starts from {@code start}'s values; faults about keys nobody assigned name {@code unassignedSource}. */
    ConfigValues(TrainConfig start, String unassignedSource) {
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) values.put(k.name(), k.get().apply(start));
        this.base = new HashMap<>(values);
        this.unassignedSource = unassignedSource;
    }

    /** Where {@code key}'s value came from. */
    String sourceOf(String key) {
        return sources.getOrDefault(key, unassignedSource);
    }

    /** Assigns every key of a file's top-level mapping. */
    void assignTree(ObjectNode root, String source) {
        assignMapping("", root, source);
    }

    /** Assigns {@code key=value}, the value read as YAML; faults name {@code --set key=value}. */
    void assignSet(String assignment) {
        String source = "--set " + assignment;
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException(source + ": expected key=value, e.g. --set grpo.beta=0.04");
        }
        String key = assignment.substring(0, eq).strip();
        String text = assignment.substring(eq + 1);
        TrainConfigSchema.Key known = TrainConfigSchema.key(key);
        boolean freeText = known != null && known.type().text();
        JsonNode value;
        try {
            value = ConfigFormat.YAML.parse(text);
        } catch (JsonProcessingException e) {
            if (!freeText) throw new ConfigException(source + ": " + key + ": " + ConfigFormat.YAML.describe(e));
            value = TextNode.valueOf(text.strip());
        }
        if (value == null || value.isMissingNode()) {
            value = JsonNodeFactory.instance.nullNode(); // "--set data.test=" as "test:" in a file
        } else if (freeText && !value.isTextual() && !value.isNull()) {
            value = TextNode.valueOf(text.strip()); // a prompt "Answer: briefly" or a directory "2024" is text
        }
        // Nested as a file would hold it, so a --set goes through the same checks as a file's value.
        String[] path = key.split("\\.", -1);
        JsonNode tree = value;
        for (int i = path.length - 1; i >= 0; i--) {
            ObjectNode parent = JsonNodeFactory.instance.objectNode();
            parent.set(path[i], tree);
            tree = parent;
        }
        assignTree((ObjectNode) tree, source);
    }

    private void assignMapping(String prefix, JsonNode mapping, String source) {
        for (Iterator<Map.Entry<String, JsonNode>> it = mapping.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            JsonNode node = field.getValue();
            TrainConfigSchema.Key k = TrainConfigSchema.key(key);
            if (k != null) {
                assign(k, node, source);
            } else if (TrainConfigSchema.isSection(key)) {
                if (node.isNull()) continue; // a section whose keys are all commented out changes nothing
                if (!node.isObject()) {
                    throw new ConfigException(source + ": " + key + ": expected a mapping of "
                            + String.join(", ", TrainConfigSchema.namesIn(key)) + ", got " + ValueType.show(node));
                }
                assignMapping(key, node, source);
            } else {
                throw new ConfigException(source + ": unknown key '" + key + "' (" + (prefix.isEmpty() ? "the top level" : prefix)
                        + " has: " + String.join(", ", TrainConfigSchema.namesIn(prefix)) + ")");
            }
        }
    }

    private void assign(TrainConfigSchema.Key k, JsonNode node, String source) {
        String key = k.name();
        Object value;
        try {
            value = k.type().read(node, values.get(key));
        } catch (ValueType.InvalidValue e) {
            if (e.unknownKey) {
                throw new ConfigException(source + ": unknown key '" + key + "." + e.subKey + "' (" + key + " has: "
                        + e.getMessage() + ")");
            }
            throw new ConfigException(source + ": " + key + (e.subKey == null ? "" : "." + e.subKey) + ": " + e.getMessage());
        }
        beforeLatest.put(key, values.get(key));
        values.put(key, value);
        sources.put(key, source);
        assigned.remove(key);
        assigned.add(key);
    }

    /** The config these values make, or a ConfigException naming the key at fault and its source. */
    TrainConfig build() {
        try {
            return TrainConfigSchema.assemble(values::get);
        } catch (IllegalArgumentException e) {
            throw explain(messageOf(e));
        }
    }

    /**
     * Names the key behind a record's fault. A record says what is wrong in its own words, not
     * which key of the file: the culprit is the latest assignment whose undoing makes the config
     * valid, or failing that (two faults at once) makes the fault become another. Undoing first
     * restores the value before that one assignment, so a {@code --set} that broke a combination
     * the file had right is blamed rather than the file; then the value before any assignment.
     */
    private ConfigException explain(String fault) {
        for (boolean mustSucceed : new boolean[] {true, false}) {
            for (Map<String, Object> undo : List.of(beforeLatest, base)) {
                for (int i = assigned.size() - 1; i >= 0; i--) {
                    String key = assigned.get(i);
                    Map<String, Object> trial = new HashMap<>(values);
                    trial.put(key, undo.get(key));
                    String after = faultOf(trial);
                    if (mustSucceed ? after == null : !Objects.equals(fault, after)) {
                        return new ConfigException(sources.get(key) + ": " + key + ": " + withoutSubject(key, fault));
                    }
                }
            }
        }
        return new ConfigException(unassignedSource + ": " + fault);
    }

    private static String faultOf(Map<String, Object> trial) {
        try {
            TrainConfigSchema.assemble(trial::get);
            return null;
        } catch (IllegalArgumentException e) {
            return messageOf(e);
        }
    }

    private static String messageOf(IllegalArgumentException e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /**
     * "grpo.beta: beta must be >= 0" says beta twice: a fault that begins "FIELD must" about the key
     * itself (records name a field as the key's leaf or its camelCase) loses its subject.
     */
    private static String withoutSubject(String key, String fault) {
        String leaf = TrainConfigSchema.key(key).leaf();
        for (String subject : List.of(leaf, camelCase(leaf))) {
            if (fault.startsWith(subject + " must ")) return fault.substring(subject.length() + 1);
        }
        return fault;
    }

    private static String camelCase(String snake) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    /** The values as a file's tree: top-level keys and sections in file order. */
    ObjectNode toTree() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) {
            ObjectNode parent = k.section().isEmpty() ? root
                    : root.has(k.section()) ? (ObjectNode) root.get(k.section()) : root.putObject(k.section());
            parent.set(k.leaf(), k.type().write(values.get(k.name())));
        }
        return root;
    }
}
