package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A kept pass that recomputes its attention probabilities in the backward (docs/design.md 2.2,
 * "Recomputed probabilities") gives the gradient of the pass that keeps them, bit for bit: every
 * weight's, the attention bias's and the LoRA adapters', in fp32 and fp64, on right-padded rows
 * with a bias, after a prompt prefix too; and the same attention features. Which path a pass
 * takes is {@link LlamaModel#keepsAttentionProbabilities}'s rule by size, checked at its edge.
 */
class RecomputedProbabilitiesTest {
    /** Sequence lengths of the batch: padding in three rows, one of them shorter than the prefix. */
    static final int[] LENGTHS = PromptPrefixTest.LENGTHS;

    @Test
    void recomputingGivesTheKeptGradientBitForBit() {
        eachModel(31, (w, tb) -> {
            INDArray bias = TinyModels.gaussian(w.dataType(), 33, 1.5, tb.batch(), tb.length());
            double[] weights = cellWeights(tb);
            Map<String, double[]> kept = gradients(model(w, null, Attention.Kept.ALL), tb, bias, null, weights, true);
            Map<String, double[]> recomputed = gradients(model(w, null, Attention.Kept.NONE), tb, bias, null, weights,
                    true);
            assertSameBits(kept, recomputed, w.config() + " " + w.dataType());
            assertEquals(w.named().size() + 2, kept.size(), "every weight, the bias and the log-probabilities compared");
        });
    }

    /** After a prompt prefix the keys run past + T long and only the bias gets a gradient. */
    @Test
    void recomputingAfterAPrefixGivesTheKeptBiasGradientBitForBit() {
        eachModel(34, (w, tb) -> {
            INDArray bias = PromptPrefixTest.biasAfterPrefix(tb).castTo(w.dataType());
            double[] weights = PromptPrefixTest.weightsAfterPrefix(tb);
            LlamaModel keeping = model(w, null, Attention.Kept.ALL), recomputing = model(w, null, Attention.Kept.NONE);
            try (PromptPrefix a = keeping.prefix(tb, PromptPrefixTest.PREFIX);
                 PromptPrefix b = recomputing.prefix(tb, PromptPrefixTest.PREFIX)) {
                assertSameBits(gradients(keeping, tb, bias, a, weights, false),
                        gradients(recomputing, tb, bias, b, weights, false),
                        w.config() + " " + w.dataType() + " after a prefix");
            }
        });
    }

    /** Every tiny config's random weights, fp32 and fp64, each with a batch of {@link #LENGTHS}. */
    private static void eachModel(long seed, BiConsumer<LlamaWeights, TokenBatch> check) {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (LlamaConfig c : TinyModels.all(0.3)) {
                check.accept(TinyModels.weights(c, seed, dt),
                        TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), seed + 1, LENGTHS)));
            }
        }
    }

    /** Random fp32 weights, LoRA adapters on every projection, a batch of {@link #LENGTHS} and a bias. */
    record AdapterCase(LlamaWeights w, LoraAdapters ad, TokenBatch tb, INDArray bias) {
        /** From seeds {@code seed} (weights) to {@code seed + 3} (bias). */
        static AdapterCase of(long seed) {
            LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), seed + 2, LENGTHS));
            return new AdapterCase(TinyModels.weights(c, seed, DataType.FLOAT),
                    LoraGradientCheckTest.randomAdapters(c, new LoraConfig(3, 6, 0, LoraGradientCheckTest.ALL), seed + 1,
                            DataType.FLOAT),
                    tb, TinyModels.gaussian(DataType.FLOAT, seed + 3, 1.5, tb.batch(), tb.length()));
        }
    }

    @Test
    void recomputingGivesTheKeptAdapterGradientBitForBit() {
        AdapterCase a = AdapterCase.of(36);
        LlamaWeights w = a.w();
        LoraAdapters ad = a.ad();
        TokenBatch tb = a.tb();
        INDArray bias = a.bias();
        double[] weights = cellWeights(tb);
        Map<String, double[]> kept = gradients(model(w, ad, Attention.Kept.ALL), tb, bias, null, weights, true);
        assertSameBits(kept, gradients(model(w, ad, Attention.Kept.NONE), tb, bias, null, weights, true), "LoRA");
        assertEquals(ad.named().size() + 2, kept.size(), "every adapter, the bias and the log-probabilities compared");
    }

    /**
     * The model keeps the probabilities while a query cell's {@code H x Tk} are no more numbers than
     * the layer keeps for it anyway: at gqaUntiedScaled's 4 x 8 + 2 + 2 x 16 + 2 x 8 + 3 x 12 = 118, up
     * to 29 key cells (4 heads); after a prefix its cells count as keys too.
     */
    @Test
    void theModelKeepsProbabilitiesOnlyWhileTheyAreNoLargerThanTheLayersOtherActivations() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        assertTrue(LlamaModel.keepsAttentionProbabilities(c, 29));
        assertFalse(LlamaModel.keepsAttentionProbabilities(c, 30));
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 43, DataType.FLOAT));
        TokenBatch at29 = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 44, 30, 12));
        TokenBatch at30 = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 44, 31, 12));
        try (ForwardPass kept = model.forward(at29, null); ForwardPass recomputed = model.forward(at30, null);
             PromptPrefix prefix = model.prefix(at30, PromptPrefixTest.PREFIX);
             ForwardPass afterPrefix = model.forward(at30, null, prefix)) {
            assertTrue(kept.keptProbabilities(), "29 key cells");
            assertFalse(recomputed.keptProbabilities(), "30 key cells");
            assertFalse(afterPrefix.keptProbabilities(), "4 + 26 key cells");
        }
    }

    /** The mask network's attention features (docs/design.md 2.6) read recomputed probabilities. */
    @Test
    void attentionFeaturesAreTheSameBits() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaWeights w = TinyModels.weights(c, 40, DataType.FLOAT);
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 41, LENGTHS));
            INDArray queries = TinyModels.gaussian(DataType.FLOAT, 42, 1.0, tb.batch(), tb.length());
            double[][] features = new double[2][];
            Attention.Kept[] kinds = {Attention.Kept.ALL, Attention.Kept.NONE};
            for (int k = 0; k < 2; k++) {
                try (ForwardPass fp = model(w, null, kinds[k]).forward(tb, null); INDArray f = fp.attentionFrom(queries)) {
                    features[k] = f.data().asDouble();
                }
            }
            assertArrayEquals(features[0], features[1], c.toString());
        }
    }

    static LlamaModel model(LlamaWeights w, LoraAdapters ad, Attention.Kept kept) {
        return new LlamaModel(w, LmHead.chunkCells(w.config().vocabSize(), w.dataType()), ad, kept);
    }

    /** Distinct weights on every cell that has a target. */
    static double[] cellWeights(TokenBatch tb) {
        double[] out = new double[tb.tokens()];
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = 0; t < tb.length(); t++) {
                if (tb.target(r, t) != TokenBatch.IGNORE) out[r * tb.length() + t] = 0.7 - 0.2 * r + 0.05 * t;
            }
        }
        return out;
    }

    /** Log-probabilities and every gradient of one kept pass and its backward, by name. */
    static Map<String, double[]> gradients(LlamaModel model, TokenBatch tb, INDArray bias, PromptPrefix prefix,
                                                   double[] weights, boolean weightGradients) {
        Map<String, double[]> out = new TreeMap<>();
        try (ForwardPass fp = model.forward(tb, bias, prefix); Gradients g = fp.backward(weights, weightGradients, true)) {
            out.put("logProbs", fp.logProbs());
            out.put("bias", g.bias().data().asDouble());
            if (g.weights() != null) g.weights().named().forEach((k, v) -> out.put(k, v.data().asDouble()));
            if (g.adapters() != null) g.adapters().named().forEach((k, v) -> out.put(k, v.data().asDouble()));
        }
        return out;
    }

    /** Equal as bits: JUnit compares doubles by {@link Double#doubleToLongBits}, fp32 widens exactly. */
    static void assertSameBits(Map<String, double[]> expected, Map<String, double[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), what + ": " + k));
    }
}
