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
import org.atmanrl.model.check.Conflict;

/**
 * A training config under construction: one typed value per key, and for each assigned key where
 * its value came from, so that every fault names the file or {@code --set} to fix.
 */
final class ConfigValues {
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, String> sources = new HashMap<>();
    /** Assigned keys, the latest assignment last. */
    private final List<String> assigned = new ArrayList<>();
    private final String unassignedSource;

    /** Starts from {@code start}'s values; faults about keys nobody assigned name {@code unassignedSource}. */
    ConfigValues(TrainConfig start, String unassignedSource) {
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) values.put(k.name(), k.get().apply(start));
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
        } else if (freeText && !value.isTextual() && !value.isNull()
                && !(value.isArray() && known.type() instanceof ValueType.DataSourceText)) {
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
                throw new ConfigException(source + ": unknown key '" + escaped(key) + "' (" + (prefix.isEmpty() ? "the top level" : prefix)
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
                throw new ConfigException(source + ": unknown key '" + escaped(key + "." + e.subKey) + "' (" + key + " has: "
                        + e.getMessage() + ")");
            }
            throw new ConfigException(source + ": " + key + (e.subKey == null ? "" : "." + e.subKey) + ": " + e.getMessage());
        }
        values.put(key, value);
        sources.put(key, source);
        assigned.remove(key);
        assigned.add(key);
    }

    /**
     * The config these values make, or a ConfigException naming the key at fault and its source:
     * first any value outside its key's range, in file order; then a combination the records reject
     * ({@link Conflict}), blamed on the key among those it names that was assigned last, so that a
     * {@code --set} that broke a combination the file had right is blamed rather than the file.
     */
    TrainConfig build() {
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) {
            String fault = k.type().fault(values.get(k.name()));
            if (fault != null) throw new ConfigException(sourceOf(k.name()) + ": " + k.name() + ": " + fault);
        }
        try {
            return TrainConfigSchema.assemble(values::get);
        } catch (Conflict e) {
            String key = e.keys().get(0);
            for (int i = assigned.size() - 1; i >= 0; i--) {
                if (e.keys().contains(assigned.get(i))) {
                    key = assigned.get(i);
                    break;
                }
            }
            throw new ConfigException(sourceOf(key) + ": " + key + ": " + withoutSubject(key, e.getMessage()));
        } catch (IllegalArgumentException e) {
            // a rule that names no key: a record checks something the key table does not declare
            throw new ConfigException(unassignedSource + ": " + e.getMessage());
        }
    }

    /**
     * "partitions: partitions must be <= prompts_per_step" says partitions twice: a fault that begins
     * "LEAF must" about the key itself loses its subject.
     */
    private static String withoutSubject(String key, String fault) {
        String leaf = TrainConfigSchema.key(key).leaf();
        return fault.startsWith(leaf + " must ") ? fault.substring(leaf.length() + 1) : fault;
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

    /**
     * A key as the user wrote it, with line breaks shown as {@code \n} and {@code \r}: the
     * message stays one line (ConfigException folds real line breaks to spaces, which would hide them).
     */
    private static String escaped(String key) {
        return key.replace("\n", "\\n").replace("\r", "\\r");
    }
}
