package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.atmanrl.model.lora.LoraDropout;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LoRA adapters' gradients (A and B of every targeted projection, docs/design.md 3.4) against
 * {@link GradientCheckTest}'s finite differences in double, with B moved away from 0 so that A's
 * gradient is not 0, an attention bias active and padded rows; once in an evaluation pass and once
 * in a training pass with dropout (its mask a function of the seed, so fixed across the
 * perturbations). The base gets no gradient arrays. And the attention bias's gradient through the
 * adapted projections, which checks the branches' input gradients down to layer 0.
 */
class LoraGradientCheckTest {
    static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    /** Adapters with A as initialised and B drawn at the scale of A. */
    static LoraAdapters randomAdapters(LlamaConfig c, LoraConfig lora, long seed, DataType dt) {
        LoraAdapters ad = LoraAdapters.init(c, lora, seed, dt);
        int k = 0;
        for (Map.Entry<String, INDArray> e : ad.named().entrySet()) {
            if (e.getKey().endsWith("lora_B.weight")) {
                INDArray b = e.getValue();
                b.assign(TinyModels.gaussian(dt, seed * 101 + k++, 0.3, b.shape()));
            }
        }
        return ad;
    }

    @Test
    void adapterGradientsMatchFiniteDifferences() {
        for (double dropout : new double[] {0.0, 0.3}) {
            for (LlamaConfig c : List.of(TinyModels.gqaUntiedScaled(0.3), TinyModels.mqaTied(0.3))) {
                LlamaWeights w = TinyModels.weights(c, 3, DataType.DOUBLE);
                LoraConfig lc = new LoraConfig(2, 3.0, dropout, ALL);
                LoraAdapters ad = randomAdapters(c, lc, 5, DataType.DOUBLE);
                LlamaModel model = new LlamaModel(w, ad);
                TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 5, 7, 4));
                INDArray theta = TinyModels.gaussian(DataType.DOUBLE, 9, 1.0, tb.batch(), tb.length());
                INDArray bias = AttentionBias.fromTheta(theta, GradientCheckTest.span(tb, new int[][] {{1, 4}, {0, 2}}));
                double[] cellWeights = GradientCheckTest.cellWeights(tb, 17);
                LoraDropout drop = dropout > 0 ? new LoraDropout(77, new long[] {3, 4}) : null;

                Gradients g;
                try (ForwardPass fp = drop == null ? model.forward(tb, bias) : model.trainingPass(tb, bias, drop)) {
                    g = fp.backward(cellWeights, true, false);
                }
                assertNull(g.weights(), "the base is frozen: no base gradient arrays");
                Map<String, INDArray> grads = g.adapters().named();
                assertEquals(ad.named().keySet(), grads.keySet());
                assertEquals(2 * 7 * c.numHiddenLayers(), grads.size());
                for (Map.Entry<String, INDArray> e : ad.named().entrySet()) {
                    GradientCheckTest.Worst worst = GradientCheckTest.worstError(e.getValue(), grads.get(e.getKey()),
                            () -> objective(model, tb, bias, cellWeights, drop));
                    System.out.printf("lora gradient check dropout %s %s: %s%n", dropout, e.getKey(), worst);
                    assertTrue(worst.error() <= GradientCheckTest.MAX_RELATIVE_ERROR, c + " " + e.getKey() + ": " + worst);
                }
            }
        }
    }

    @Test
    void biasGradientRunsThroughTheAdapters() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaWeights w = TinyModels.weights(c, 4, DataType.DOUBLE);
        LlamaModel model = new LlamaModel(w, randomAdapters(c, new LoraConfig(3, 5.0, 0, ALL), 8, DataType.DOUBLE));
        GradientCheckTest.ThetaCase tc = GradientCheckTest.ThetaCase.of(c);
        TokenBatch tb = tc.tokens();
        INDArray span = tc.span(), theta = tc.theta();
        double[] answer = tc.answer();
        INDArray analytic;
        try (ForwardPass fp = model.forward(tb, AttentionBias.fromTheta(theta, span))) {
            Gradients g = fp.backward(answer, false, true);
            assertNull(g.weights());
            assertNull(g.adapters());
            analytic = AttentionBias.thetaGradient(g.bias(), theta, span);
        }
        GradientCheckTest.Worst worst = GradientCheckTest.worstError(theta, analytic,
                () -> objective(model, tb, AttentionBias.fromTheta(theta, span), answer, null));
        System.out.printf("lora theta gradient check: %s%n", worst);
        assertTrue(worst.error() <= GradientCheckTest.MAX_RELATIVE_ERROR, "theta: " + worst);
    }

    private static double objective(LlamaModel model, TokenBatch tb, INDArray bias, double[] weights, LoraDropout drop) {
        double[] lp;
        if (drop == null) {
            lp = model.logProbs(tb, bias);
        } else {
            try (ForwardPass fp = model.trainingPass(tb, bias, drop)) {
                lp = fp.logProbs();
            }
        }
        double s = 0;
        for (int i = 0; i < lp.length; i++) s += weights[i] * lp[i];
        return s;
    }
}
