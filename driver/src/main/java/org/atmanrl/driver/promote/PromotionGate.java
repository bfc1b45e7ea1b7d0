package org.atmanrl.driver.promote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.atmanrl.model.io.JsonFiles;

/**
 * The rule a finished run must meet to replace the promoted model (docs/training-on-spark.md
 * "Scheduled retraining"): every {@link GateRule} holds between the run's final evaluation and the
 * one stored with the promoted model, and both were measured on the same test problems. The first
 * run, with nothing promoted yet, always passes.
 *
 * @param rules at least one clause, each metric at most once
 */
public record PromotionGate(List<GateRule> rules) {
    /** When {@code --gate} is not given: test accuracy no more than 0.02 below the promoted model's. */
    public static final PromotionGate DEFAULT = new PromotionGate(List.of(new GateRule("accuracy", 0.02, false)));

    public PromotionGate {
        rules = List.copyOf(rules);
        if (rules.isEmpty()) throw new IllegalArgumentException("a gate needs at least one rule; " + GateRule.SYNTAX);
        for (int i = 0; i < rules.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (rules.get(i).metric().equals(rules.get(j).metric())) {
                    throw new IllegalArgumentException("metric " + rules.get(i).metric() + " is gated twice");
                }
            }
        }
    }

    /** The gate's decision, for summary.json, the promoted model's stored summary and the console. */
    public record Decision(boolean promote, String reason, List<GateRule.Check> checks) {
        public Decision {
            checks = List.copyOf(checks);
        }

        public ObjectNode toJson(PromotionGate gate, String target) {
            ObjectNode o = JsonFiles.MAPPER.createObjectNode();
            o.put("target", target).put("decision", promote ? "promoted" : "not_promoted").put("reason", reason);
            ArrayNode rules = o.putArray("rule");
            gate.rules().forEach(r -> rules.add(r.toString()));
            ArrayNode c = o.putArray("checks");
            checks.forEach(k -> c.add(k.toJson()));
            return o;
        }
    }

    /**
     * Decides on the run's final evaluation {@code ours} (summary.json's {@code after}) against the
     * summary stored with the promoted model, if there is one.
     */
    public Decision decide(JsonNode ours, Optional<JsonNode> promotedSummary) {
        if (promotedSummary.isEmpty()) {
            return new Decision(true, "nothing is promoted yet: the first run publishes", List.of());
        }
        JsonNode theirs = promotedSummary.get().path("after");
        String ourSet = ours.path("data_set").asText() + " x " + ours.path("problems").asText();
        String theirSet = theirs.path("data_set").asText() + " x " + theirs.path("problems").asText();
        if (!ourSet.equals(theirSet)) {
            return new Decision(false, "evaluated on other test problems (" + ourSet + ") than the promoted model ("
                    + theirSet + "); the numbers cannot be compared", List.of());
        }
        List<GateRule.Check> checks = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (GateRule r : rules) {
            GateRule.Check c = r.check(r.valueIn(ours), r.valueIn(theirs));
            checks.add(c);
            if (!c.holds()) failed.add(c.toString());
        }
        return failed.isEmpty()
                ? new Decision(true, "every rule holds", checks)
                : new Decision(false, String.join("; ", failed), checks);
    }
}
