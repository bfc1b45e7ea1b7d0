package org.atmanrl.executor.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.GradientAttribution;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The samples a report draws, on {@link EvaluationTest}'s rigged problems (0, 3, 6 correct): each
 * fitted sample carries the gradient attribution of its own completion, under the JSON key
 * {@code gradient_attribution}, which survives the round trip; files written before the key
 * existed still read.
 */
class SaliencySamplesTest {
    static SaliencySamples samples;

    @BeforeAll
    static void compute() {
        EvaluationTest.riggedProblems();
        samples = SaliencySamples.compute(EvaluationTest.model, EvaluationTest.SALIENCY, EvaluationTest.data.encoder,
                EvaluationTest.rigged, EvaluationTest.PROBLEMS, EvaluationTest.MAX_NEW, EvaluationTest.ROWS);
    }

    @AfterAll
    static void free() {
        EvaluationTest.free();
    }

    @Test
    void eachFittedSampleCarriesItsCompletionsGradientAttribution() {
        List<CompletionSpans> spans = new ArrayList<>();
        List<int[]> sequences = EvaluationTest.correctSequences(spans);
        List<double[]> expected = GradientAttribution.of(EvaluationTest.model, sequences, spans, EvaluationTest.ROWS);
        for (int i = 0; i < EvaluationTest.PROBLEMS; i++) {
            SaliencySamples.Sample s = samples.samples().get(i);
            if (i % 3 != 0) {
                assertNull(s.gradientAttribution(), "no attribution on the wrong or unparsed " + s.problem());
                continue;
            }
            double[] g = s.gradientAttribution();
            assertArrayEquals(expected.get(i / 3), g, 1e-7, s.problem()); // the same float32 passes
            assertTrue(g.length == 0 || Arrays.stream(g).anyMatch(x -> Math.abs(x) > 1e-6),
                    "an all-zero attribution on " + s.problem());
        }
    }

    @Test
    void theJsonRoundTripKeepsTheAttributionAndOldFilesWithoutItStillRead() {
        ObjectNode json = samples.toJson();
        ArrayNode list = (ArrayNode) json.get("samples");
        assertTrue(list.get(0).get("gradient_attribution").isArray(), json.toString());
        assertTrue(list.get(1).get("gradient_attribution").isNull(), "null where no mask was fitted");
        SaliencySamples back = SaliencySamples.fromJson(json);
        assertEquals(json, back.toJson());
        assertArrayEquals(samples.samples().get(0).gradientAttribution(), back.samples().get(0).gradientAttribution());

        ObjectNode old = json.deepCopy();
        for (var o : old.get("samples")) ((ObjectNode) o).remove("gradient_attribution");
        SaliencySamples read = SaliencySamples.fromJson(old);
        assertNull(read.samples().get(0).gradientAttribution());
        assertArrayEquals(samples.samples().get(0).mask(), read.samples().get(0).mask());

        ObjectNode bad = json.deepCopy();
        ((ObjectNode) bad.get("samples").get(0)).putArray("gradient_attribution").add(0.5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SaliencySamples.fromJson(bad));
        assertTrue(e.getMessage().startsWith("samples[0]: gradient_attribution (1) must have one value per CoT token"),
                e.getMessage());
    }
}
