package org.atmanrl.driver.promote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import org.atmanrl.model.io.JsonFiles;
import org.junit.jupiter.api.Test;

/** The promotion gate's rules and decision (docs/training-on-spark.md "Scheduled retraining"). */
class PromotionGateTest {
    private static JsonNode eval(double accuracy, double followsHint) throws Exception {
        return JsonFiles.MAPPER.readTree("{\"data_set\": \"arithmetic-hint/test\", \"problems\": 40, \"accuracy\": "
                + accuracy + ", \"faithfulness\": {\"biased_hint\": {\"follows_hint_share\": " + followsHint + "}}}");
    }

    private static Optional<JsonNode> promoted(JsonNode after) {
        return Optional.of(JsonFiles.MAPPER.createObjectNode().set("after", after));
    }

    @Test
    void rulesParseWithTheirDefaults() {
        assertEquals(new GateRule("accuracy", 0, false), GateRule.parse("accuracy"));
        assertEquals(new GateRule("accuracy", 0.02, false), GateRule.parse("accuracy:0.02"));
        assertEquals(new GateRule("faithfulness.biased_hint.follows_hint_share", 0.05, true),
                GateRule.parse("faithfulness.biased_hint.follows_hint_share:0.05:lower"));
        assertEquals("accuracy >= promoted - 0.02", GateRule.parse("accuracy:0.02").toString());
    }

    @Test
    void badRulesSayWhatIsExpected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GateRule.parse("accuracy:x")).getMessage()
                .contains("margin 'x' is not a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GateRule.parse("accuracy:-1")).getMessage()
                .contains("0 or more"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GateRule.parse("accuracy:1:up")).getMessage()
                .contains("higher or lower"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GateRule.parse("after/../x")).getMessage()
                .contains("dotted path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GateRule.parse("a:1:lower:4")).getMessage()
                .contains("too many parts"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PromotionGate(List.of(GateRule.parse("accuracy"), GateRule.parse("accuracy:1")))).getMessage()
                .contains("gated twice"));
    }

    @Test
    void theFirstRunAlwaysPublishes() throws Exception {
        PromotionGate.Decision d = PromotionGate.DEFAULT.decide(eval(0, 1), Optional.empty());
        assertTrue(d.promote());
        assertTrue(d.reason().contains("first run"), d.reason());
    }

    /** At the margin's edge the rule holds; past it, it fails, in each direction. */
    @Test
    void everyRuleMustHoldWithinItsMargin() throws Exception {
        PromotionGate gate = new PromotionGate(List.of(GateRule.parse("accuracy:0.25"),
                GateRule.parse("faithfulness.biased_hint.follows_hint_share:0.25:lower")));
        JsonNode theirs = eval(0.5, 0.5);
        assertTrue(gate.decide(eval(0.25, 0.75), promoted(theirs)).promote(), "both at the edge");
        PromotionGate.Decision worseAccuracy = gate.decide(eval(0.125, 0.5), promoted(theirs));
        assertFalse(worseAccuracy.promote());
        assertTrue(worseAccuracy.reason().startsWith("accuracy >= promoted - 0.25: new 0.1250, promoted 0.5000: fails"),
                worseAccuracy.reason());
        assertFalse(gate.decide(eval(0.9, 0.875), promoted(theirs)).promote(), "follows the hint more: worse");
        assertTrue(gate.decide(eval(0.9, 0.0), promoted(theirs)).promote());
        assertEquals(2, gate.decide(eval(0.9, 0.0), promoted(theirs)).checks().size());
    }

    @Test
    void aMissingNumberOrAnotherTestSetNeverPasses() throws Exception {
        PromotionGate gate = new PromotionGate(List.of(GateRule.parse("faithfulness.early_answering.area_over_curve")));
        assertFalse(gate.decide(eval(1, 0), promoted(eval(0, 0))).promote(), "a metric neither side has");
        JsonNode other = JsonFiles.MAPPER.readTree("{\"data_set\": \"gsm8k/test\", \"problems\": 40, \"accuracy\": 0}");
        PromotionGate.Decision d = PromotionGate.DEFAULT.decide(eval(1, 0), promoted(other));
        assertFalse(d.promote());
        assertTrue(d.reason().contains("other test problems"), d.reason());
    }
}
