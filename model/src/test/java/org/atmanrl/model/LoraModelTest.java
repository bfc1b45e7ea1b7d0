package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.atmanrl.model.lora.LoraDropout;
import org.atmanrl.model.lora.LoraTarget;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model with LoRA adapters (docs/design.md 3.4): with B = 0 it is the base, bit for bit; merged
 * into the base it gives the adapted model's logits; dropout draws the same mask from the same seed
 * and is no work at 0; the initialisation is PEFT's shape of kaiming-uniform.
 */
class LoraModelTest {
    static final List<String> ALL = LoraGradientCheckTest.ALL;

    @Test
    void zeroBGivesTheBaseLogProbsBitForBit() {
        for (LlamaConfig c : TinyModels.all(0.2)) {
            LlamaWeights w = TinyModels.weights(c, 11, DataType.FLOAT);
            LoraAdapters ad = LoraAdapters.init(c, new LoraConfig(4, 8, 0.1, ALL), 3, DataType.FLOAT);
            LlamaModel base = new LlamaModel(w), adapted = new LlamaModel(w, ad);
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 2, 9, 5, 7));
            INDArray bias = TinyModels.gaussian(DataType.FLOAT, 4, 0.5, tb.batch(), tb.length());
            double[] expected = base.logProbs(tb, bias);
            assertArrayEquals(expected, adapted.logProbs(tb, bias), "B = 0: the adapted model is the base");
            try (ForwardPass fp = adapted.trainingPass(tb, bias, LoraDropout.byRowIndex(5, tb.batch()))) {
                assertArrayEquals(expected, fp.logProbs(), "B = 0 with dropout: still the base");
            }
            // and A did get drawn: the branch is live once B is not 0
            ad.b(0, LoraTarget.V_PROJ).assign(0.5);
            assertFalse(java.util.Arrays.equals(expected, adapted.logProbs(tb, bias)));
        }
    }

    @Test
    void mergedModelGivesTheAdaptedLogits() {
        for (LlamaConfig c : TinyModels.all(0.2)) {
            LlamaWeights w = TinyModels.weights(c, 12, DataType.FLOAT);
            LoraAdapters ad = LoraGradientCheckTest.randomAdapters(c, new LoraConfig(3, 6, 0, ALL), 6, DataType.FLOAT);
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 3, 9, 6));
            INDArray adaptedLogits = new LlamaModel(w, ad).logits(tb, null);
            INDArray baseLogits = new LlamaModel(w).logits(tb, null);
            try (LlamaWeights merged = ad.merge(w)) {
                INDArray mergedLogits = new LlamaModel(merged).logits(tb, null);
                double diff = mergedLogits.sub(adaptedLogits).amaxNumber().doubleValue();
                System.out.printf("merged vs adapted logits, max |diff| %.3g%n", diff);
                assertTrue(diff <= 1e-5, "merged logits differ by " + diff);
                assertTrue(baseLogits.sub(adaptedLogits).amaxNumber().doubleValue() > 1e-2, "the adapters must matter");
                // untargeted tensors are copied unchanged; targeted ones moved by scaling * B A
                INDArray q = merged.layer(0).q();
                INDArray expected = w.layer(0).q().add(ad.b(0, LoraTarget.Q_PROJ).mmul(ad.a(0, LoraTarget.Q_PROJ)).muli(2.0));
                assertTrue(q.sub(expected).amaxNumber().doubleValue() < 1e-6);
                assertEquals(w.norm(), merged.norm());
                assertTrue(merged.norm() != w.norm(), "a copy, not the base's arrays");
            }
        }
    }

    @Test
    void dropoutIsDeterministicAndFreeAtZero() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.2);
        LlamaWeights w = TinyModels.weights(c, 13, DataType.FLOAT);
        TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 4, 8, 6));
        double[] cellWeights = GradientCheckTest.cellWeights(tb, 3);
        LoraAdapters ad = LoraGradientCheckTest.randomAdapters(c, new LoraConfig(2, 4, 0.25, ALL), 7, DataType.FLOAT);
        LlamaModel model = new LlamaModel(w, ad);
        LoraDropout drop = new LoraDropout(42, new long[] {7, 9});

        Run first = run(model, tb, drop, cellWeights), again = run(model, tb, new LoraDropout(42, new long[] {7, 9}), cellWeights);
        assertArrayEquals(first.logProbs, again.logProbs, "same seed: same log-probs");
        assertEquals(first.grads.keySet(), again.grads.keySet());
        first.grads.forEach((name, g) -> assertArrayEquals(g, again.grads.get(name), "same seed: same gradient " + name));

        Run other = run(model, tb, new LoraDropout(43, new long[] {7, 9}), cellWeights);
        assertFalse(java.util.Arrays.equals(first.logProbs, other.logProbs), "another seed draws another mask");
        double[] eval = model.logProbs(tb, null);
        assertFalse(java.util.Arrays.equals(first.logProbs, eval), "a training pass drops, an evaluation pass does not");
        // a row's mask follows its key, not its place in the batch: row 1 alone with key 9
        TokenBatch second = TokenBatch.forScoring(List.of(TinyModels.sequences(c.vocabSize(), 4, 8, 6).get(1)));
        try (ForwardPass fp = model.trainingPass(second, null, new LoraDropout(42, new long[] {9}))) {
            double[] alone = fp.logProbs();
            assertEquals(second.length(), alone.length);
            for (int t = 0; t < alone.length; t++) {
                assertEquals(first.logProbs[tb.length() + t], alone[t], 1e-5, "cell " + t);
            }
        }

        // lora_dropout 0: a training pass is the evaluation pass, bit for bit, gradients too
        LoraAdapters noDrop = ad.copy(DataType.FLOAT);
        LlamaModel plain = new LlamaModel(w, noDrop);
        LlamaModel zero = new LlamaModel(w, LoraAdapters.fromNamed(c, new LoraConfig(2, 4, 0.0, ALL), copyOf(ad)));
        Run trained = run(zero, tb, drop, cellWeights);
        Run evaluated = run(zero, tb, null, cellWeights);
        assertArrayEquals(evaluated.logProbs, trained.logProbs);
        evaluated.grads.forEach((name, g) -> assertArrayEquals(g, trained.grads.get(name), name));
        assertArrayEquals(plain.logProbs(tb, null), zero.logProbs(tb, null), "dropout never applies outside a training pass");
    }

    @Test
    void initIsPeftShapedKaimingUniformWithZeroB() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.2);
        LoraConfig lc = new LoraConfig(4, 16, 0, List.of("q_proj", "down_proj"));
        LoraAdapters ad = LoraAdapters.init(c, lc, 9, DataType.FLOAT);
        assertEquals(4.0, ad.scaling());
        INDArray a = ad.a(0, LoraTarget.DOWN_PROJ);
        assertArrayEquals(new long[] {4, c.intermediateSize()}, a.shape());
        assertArrayEquals(new long[] {c.hiddenSize(), 4}, ad.b(0, LoraTarget.DOWN_PROJ).shape());
        double bound = 1 / Math.sqrt(c.intermediateSize());
        assertTrue(a.amaxNumber().doubleValue() <= bound && a.amaxNumber().doubleValue() > 0.5 * bound);
        assertEquals(0.0, ad.b(0, LoraTarget.DOWN_PROJ).amaxNumber().doubleValue());
        assertTrue(ad.a(0, LoraTarget.K_PROJ) == null, "k_proj is not targeted");
        LoraAdapters same = LoraAdapters.init(c, lc, 9, DataType.FLOAT);
        ad.named().forEach((name, x) -> assertEquals(x, same.named().get(name), name));
        assertFalse(ad.a(0, LoraTarget.Q_PROJ).equals(ad.a(1, LoraTarget.Q_PROJ)), "keyed by tensor name");
        assertThrows(IllegalArgumentException.class, () -> new LlamaModel(w(c), LoraAdapters.init(c, lc, 9, DataType.DOUBLE)));
    }

    private static LlamaWeights w(LlamaConfig c) {
        return TinyModels.weights(c, 1, DataType.FLOAT);
    }

    private static Map<String, INDArray> copyOf(LoraAdapters ad) {
        Map<String, INDArray> m = new java.util.LinkedHashMap<>();
        ad.named().forEach((n, x) -> m.put(n, x.dup()));
        return m;
    }

    private record Run(double[] logProbs, Map<String, float[]> grads) {}

    private static Run run(LlamaModel model, TokenBatch tb, LoraDropout drop, double[] cellWeights) {
        try (ForwardPass fp = drop == null ? model.forward(tb, null) : model.trainingPass(tb, null, drop)) {
            double[] lp = fp.logProbs();
            try (Gradients g = fp.backward(cellWeights, true, false)) {
                Map<String, float[]> grads = new java.util.LinkedHashMap<>();
                g.adapters().named().forEach((n, x) -> grads.put(n, x.dup().data().asFloat()));
                return new Run(lp, grads);
            }
        }
    }
}
