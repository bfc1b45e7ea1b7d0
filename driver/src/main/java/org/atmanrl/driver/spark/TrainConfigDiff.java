package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Which settings that shape the trained weights differ between two resolved configs: what a
 * resume must not change. The step count, the output path, checkpoint and evaluation schedules,
 * Spark settings and fault switches may change (a run is stopped and continued to more steps, on
 * another cluster); anything else would make the resumed run a different run.
 */
final class TrainConfigDiff {
    /**
     * Top-level keys and sections, or dotted keys. {@code optimizer.max_skipped_steps} only decides
     * when a diverging run stops, never what a step computes, so a run it stopped may be resumed with more.
     * {@code grpo.micro_batch_rows} changes how a task's gradient sums are grouped, so only their
     * rounding, and it is the knob that lets a run that ran out of memory continue on smaller
     * executors (docs/design.md 6.1); a resumed run with another value is not bit-identical to one
     * that never stopped, as any other change of config.
     */
    private static final Set<String> MAY_CHANGE = Set.of("steps", "output", "checkpoint", "eval", "spark", "faults",
            "optimizer.max_skipped_steps", "grpo.micro_batch_rows");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private TrainConfigDiff() {}

    /** The dotted keys that differ, outside {@link #MAY_CHANGE}. */
    static List<String> trainingKeys(String savedYaml, String currentYaml) {
        return trainingKeys(savedYaml, currentYaml, Set.of());
    }

    /** As above, with {@code alsoMayChange} (dotted keys) left out too: barrier mode's partitions (docs/design.md 3.5). */
    static List<String> trainingKeys(String savedYaml, String currentYaml, Set<String> alsoMayChange) {
        try {
            List<String> differ = new ArrayList<>();
            compare("", withDefaults(YAML.readTree(savedYaml)), YAML.readTree(currentYaml), differ, alsoMayChange);
            return differ;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a resolved config did not parse: " + e.getMessage(), e);
        }
    }

    /**
     * A checkpoint's config with the keys it predates (a section added since, as {@code lora}) at
     * their defaults, which is what that run trained with.
     */
    private static JsonNode withDefaults(JsonNode saved) throws java.io.IOException {
        if (!saved.isObject()) return saved;
        JsonNode defaults = YAML.readTree(org.atmanrl.driver.config.TrainConfig.defaults().toYaml());
        com.fasterxml.jackson.databind.node.ObjectNode filled =
                ((com.fasterxml.jackson.databind.node.ObjectNode) saved).deepCopy();
        defaults.fields().forEachRemaining(e -> {
            if (!filled.has(e.getKey())) filled.set(e.getKey(), e.getValue());
        });
        return filled;
    }

    private static void compare(String prefix, JsonNode a, JsonNode b, List<String> differ, Set<String> alsoMayChange) {
        if (a.isObject() && b.isObject()) {
            Set<String> keys = new java.util.LinkedHashSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                String key = prefix.isEmpty() ? k : prefix + "." + k;
                if (MAY_CHANGE.contains(key) || alsoMayChange.contains(key)) continue;
                compare(key, a.path(k), b.path(k), differ, alsoMayChange);
            }
        } else if (!a.equals(b)) {
            differ.add(prefix + " (" + a + " then, " + b + " now)");
        }
    }
}
