package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HalfFloats;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * bf16 storage with fp32 compute (docs/design.md 3.4, "bf16 storage"). Widening bf16 to fp32 is
 * exact, so a bf16-stored model must compute bit for bit what the fp32 model holding the same
 * rounded values computes: log-probs, the LoRA adapters' and the attention bias's gradients, and
 * decoding. Against its fp32 source it differs only by the rounding of the weights, within the
 * bound {@link #logProbBound} states.
 */
class Bf16StorageTest {
    @Test
    void bf16StorageComputesWhatFp32OfTheSameValuesComputes() {
        for (LlamaConfig c : TinyModels.all(0.2)) {
            try (LlamaWeights source = TinyModels.weights(c, 21, DataType.FLOAT);
                 LlamaWeights stored = source.bf16Copy();
                 LlamaWeights widened = stored.copy(DataType.FLOAT)) {
                assertEquals(DataType.BFLOAT16, stored.storageType());
                assertEquals(DataType.FLOAT, stored.dataType());
                LoraAdapters ad = LoraGradientCheckTest.randomAdapters(c, new LoraConfig(3, 6, 0, LoraModelTest.ALL), 8,
                        DataType.FLOAT);
                TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 4, 9, 5, 7));
                INDArray bias = TinyModels.gaussian(DataType.FLOAT, 5, 0.5, tb.batch(), tb.length());
                double[] cellWeights = new double[tb.tokens()];
                for (int i = 0; i < cellWeights.length; i++) {
                    cellWeights[i] = tb.targets()[i] == TokenBatch.IGNORE ? 0 : 1 + i % 3;
                }
                for (LoraAdapters adapters : new LoraAdapters[] {null, ad}) {
                    LlamaModel narrow = new LlamaModel(stored, adapters), wide = new LlamaModel(widened, adapters);
                    try (ForwardPass a = narrow.forward(tb, bias); ForwardPass b = wide.forward(tb, bias)) {
                        assertArrayEquals(b.logProbs(), a.logProbs(), "log-probs");
                        try (Gradients ga = a.backward(cellWeights, adapters != null, true);
                             Gradients gb = b.backward(cellWeights, adapters != null, true)) {
                            assertEquals(gb.bias(), ga.bias(), "the attention bias's gradient");
                            if (adapters != null) {
                                for (Map.Entry<String, INDArray> e : gb.adapters().named().entrySet()) {
                                    assertEquals(e.getValue(), ga.adapters().named().get(e.getKey()), e.getKey());
                                }
                            }
                        }
                    }
                    assertDecodesAlike(narrow, wide, c.vocabSize());
                }
                // merging adapters into a bf16 base works in fp32 from the stored values: exact, as from fp32
                try (LlamaWeights a = ad.merge(stored); LlamaWeights b = ad.merge(widened)) {
                    assertEquals(DataType.FLOAT, a.storageType());
                    assertEquals(b.named(), a.named(), "merged into the bf16 base");
                }
            }
        }
    }

    /** Prefill and four greedy steps at batch 1 (the fused decode step): the same logits at each. */
    private static void assertDecodesAlike(LlamaModel narrow, LlamaModel wide, int vocab) {
        try (KvCache ca = narrow.newCache(1, 16); KvCache cb = wide.newCache(1, 16)) {
            int[] prompt = TinyModels.tokens(vocab, 6, 3);
            TokenBatch tb = TokenBatch.leftPadded(List.of(prompt));
            INDArray la = narrow.nextTokenLogits(tb, ca), lb = wide.nextTokenLogits(tb, cb);
            for (int s = 0; s < 4; s++) {
                assertEquals(lb, la, "logits at decode step " + s);
                int next = lb.argMax(1).getInt(0);
                TokenBatch step = new TokenBatch(1, 1, new int[] {next}, new int[] {prompt.length + s},
                        new boolean[] {true}, null);
                assertTrue(DecodeStep.applies(narrow, step), "a bf16 model takes the fused step too");
                la = narrow.nextTokenLogits(step, ca);
                lb = wide.nextTokenLogits(step, cb);
            }
        }
    }

    /**
     * The test: a bf16-stored model scores within a stated bound of its fp32 source. Each
     * weight moves by at most 2^-9 of itself (round to nearest, 8 significant bits). To first order a
     * relative error e on every weight moves a logit z by at most about (number of weight matrices a
     * logit's path crosses) * e * |z|-scale: the embedding, 7 projections per layer and the head, so
     * {@code (7 L + 2) 2^-9 max|z|}; a log-prob {@code z_y - logsumexp z} moves by at most twice a
     * logit's move. The measured error is printed and must stay within that bound.
     */
    @Test
    void bf16BaseScoresWithinTheStatedBoundOfItsFp32Source() {
        LlamaConfig embedded = EmbeddedModel.config();
        List<LlamaConfig> configs = List.of(embedded, TinyModels.gqaUntiedScaled(0.2), TinyModels.mqaTied(0.2));
        for (LlamaConfig c : configs) {
            try (LlamaWeights source = TinyModels.weights(c, 31, DataType.FLOAT); LlamaWeights stored = source.bf16Copy()) {
                TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 6, 24, 17, 30));
                LlamaModel fp32 = new LlamaModel(source), bf16 = new LlamaModel(stored);
                double[] exact = fp32.logProbs(tb, null), rounded = bf16.logProbs(tb, null);
                double worst = 0;
                for (int i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(exact[i] - rounded[i]));
                double maxLogit;
                try (INDArray logits = fp32.logits(tb, null)) {
                    maxLogit = Math.max(1, logits.amaxNumber().doubleValue());
                }
                double bound = logProbBound(c, maxLogit);
                System.out.printf("bf16 vs fp32 source, %d layers, vocab %d: max |d log p| %.3g, bound %.3g (max |logit| %.3g)%n",
                        c.numHiddenLayers(), c.vocabSize(), worst, bound, maxLogit);
                assertTrue(worst > 0, "the rounding must show: else this test checks nothing");
                assertTrue(worst <= bound, "max |d log p| " + worst + " over the bound " + bound);
            }
        }
    }

    static double logProbBound(LlamaConfig c, double maxLogit) {
        return 2 * (7.0 * c.numHiddenLayers() + 2) * Math.scalb(1.0, -9) * maxLogit;
    }

    @Test
    void roundsToNearestEvenAndKeepsNormsInFp32() {
        LlamaConfig c = TinyModels.mqaTied(0.2);
        try (LlamaWeights source = TinyModels.weights(c, 41, DataType.FLOAT); LlamaWeights stored = source.bf16Copy()) {
            float[] src = source.layer(0).q().data().asFloat();
            INDArray q = stored.layer(0).q();
            for (int i = 0; i < src.length; i++) {
                assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(src[i])), q.getFloat(i), "q[" + i + "]");
            }
            assertEquals(DataType.FLOAT, stored.norm().dataType());
            assertEquals(source.layer(0).inputNorm(), stored.layer(0).inputNorm(), "norms are kept as they are");
            assertTrue(stored.lmHead() == stored.embed(), "a tied head stays one array");
            // bf16 storage is for fp32 compute only; gradients come in the compute type
            assertThrows(IllegalStateException.class, () -> source.copy(DataType.DOUBLE).bf16Copy());
            try (LlamaWeights zeros = stored.zerosLike()) {
                assertEquals(DataType.FLOAT, zeros.embed().dataType());
            }
        }
    }
}
