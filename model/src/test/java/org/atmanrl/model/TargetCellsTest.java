package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pass whose last layer computes only the cells with a target ({@link LlamaModel#forwardAtTargets},
 * docs/design.md 2.2, "Target cells only") against the full pass, in double precision: the target
 * cells' log-probabilities, the attention bias's gradient, and every weight's (and LoRA adapter's)
 * gradient agree to 1e-10; with and without a prompt prefix; on rows with different numbers of target
 * cells, one with none, and right padding.
 */
class TargetCellsTest {
    static final double TOLERANCE = 1e-10;
    static final int[] LENGTHS = {11, 6, 9, 10};
    /** Per row, the cells that keep a target: 3, 1, none, 2 of them, not adjacent in row 0. */
    static final int[][] TARGETS = {{5, 7, 8}, {4}, {}, {6, 8}};

    @Test
    void targetCellsScoreAsTheFullPassAndGiveItsGradients() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaModel model = new LlamaModel(TinyModels.weights(c, 31, DataType.DOUBLE));
            TokenBatch full = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 12, LENGTHS));
            TokenBatch tb = onlyTargets(full, TARGETS);
            INDArray bias = PromptPrefixTest.biasAfterPrefix(tb);
            double[] weights = weights(tb);

            double[] fullLp = model.logProbs(full, bias);
            Gradients fullGrad;
            try (ForwardPass fp = model.forward(full, bias)) {
                fullGrad = fp.backward(weights, true, true);
            }
            double[] lp = model.logProbsAtTargets(tb, bias, null);
            Gradients grad;
            try (ForwardPass fp = model.forwardAtTargets(tb, bias, null)) {
                assertArrayEquals(lp, fp.logProbs(), "a kept pass scores as a plain one");
                assertThrows(IllegalStateException.class, fp::hidden);
                grad = fp.backward(weights, true, true);
            }
            assertCellsEqual(c.toString(), tb, fullLp, lp);
            assertClose(c + " bias gradient", fullGrad.bias(), grad.bias());
            Map<String, INDArray> want = fullGrad.weights().named(), got = grad.weights().named();
            for (String name : want.keySet()) {
                assertClose(c + " " + name, want.get(name), got.get(name));
            }
            fullGrad.close();
            grad.close();

            try (PromptPrefix prefix = model.prefix(tb, PromptPrefixTest.PREFIX)) {
                double[] afterPrefix = model.logProbsAtTargets(tb, bias, prefix);
                assertCellsEqual(c + " after a prefix", tb, fullLp, afterPrefix);
                try (ForwardPass fp = model.forwardAtTargets(tb, bias, prefix);
                     Gradients g = fp.backward(weights, false, true);
                     ForwardPass plain = model.forward(full, bias, prefix);
                     Gradients pg = plain.backward(weights, false, true)) {
                    assertClose(c + " bias gradient after a prefix", pg.bias(), g.bias());
                }
            }
        }
    }

    @Test
    void loraAdaptersGetTheFullPassGradients() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LoraAdapters ad = LoraGradientCheckTest.randomAdapters(c,
                new LoraConfig(2, 3.0, 0, LoraGradientCheckTest.ALL), 6, DataType.DOUBLE);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 32, DataType.DOUBLE), ad);
        TokenBatch full = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 13, LENGTHS));
        TokenBatch tb = onlyTargets(full, TARGETS);
        INDArray bias = PromptPrefixTest.biasAfterPrefix(tb);
        double[] weights = weights(tb);
        try (ForwardPass a = model.forward(full, bias); Gradients ga = a.backward(weights, true, true);
             ForwardPass b = model.forwardAtTargets(tb, bias, null); Gradients gb = b.backward(weights, true, true)) {
            assertClose("bias gradient", ga.bias(), gb.bias());
            Map<String, INDArray> want = ga.adapters().named(), got = gb.adapters().named();
            for (String name : want.keySet()) assertClose(name, want.get(name), got.get(name));
        }
    }

    @Test
    void theSameCallTwiceGivesTheSameBitsInFloat() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 33, DataType.FLOAT));
        TokenBatch tb = onlyTargets(TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 14, LENGTHS)), TARGETS);
        INDArray bias = PromptPrefixTest.biasAfterPrefix(tb).castTo(DataType.FLOAT);
        double[][] lp = new double[2][], grad = new double[2][];
        for (int run = 0; run < 2; run++) {
            try (ForwardPass fp = model.forwardAtTargets(tb, bias, null); Gradients g = fp.backward(weights(tb), false, true)) {
                lp[run] = fp.logProbs();
                grad[run] = g.bias().data().asDouble();
            }
        }
        assertArrayEquals(lp[0], lp[1]);
        assertArrayEquals(grad[0], grad[1]);
    }

    /** {@code tb} with targets kept on the listed cells of each row only. */
    static TokenBatch onlyTargets(TokenBatch tb, int[][] keep) {
        int n = tb.tokens();
        int[] ids = new int[n], pos = new int[n], tgt = new int[n];
        boolean[] valid = new boolean[n];
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = 0; t < tb.length(); t++) {
                int i = r * tb.length() + t;
                ids[i] = tb.id(r, t);
                pos[i] = tb.position(r, t);
                valid[i] = tb.valid(r, t);
                tgt[i] = TokenBatch.IGNORE;
            }
            for (int t : keep[r]) {
                if (tb.target(r, t) == TokenBatch.IGNORE) throw new IllegalArgumentException("no target at " + r + ", " + t);
                tgt[r * tb.length() + t] = tb.target(r, t);
            }
        }
        return new TokenBatch(tb.batch(), tb.length(), ids, pos, valid, tgt);
    }

    /** Distinct weights on the target cells. */
    static double[] weights(TokenBatch tb) {
        double[] w = new double[tb.tokens()];
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = 0; t < tb.length(); t++) {
                if (tb.target(r, t) != TokenBatch.IGNORE) w[r * tb.length() + t] = 0.7 - 0.1 * r + 0.05 * t;
            }
        }
        return w;
    }

    private static void assertCellsEqual(String what, TokenBatch tb, double[] full, double[] got) {
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = 0; t < tb.length(); t++) {
                int i = r * tb.length() + t;
                double want = tb.target(r, t) == TokenBatch.IGNORE ? 0.0 : full[i];
                assertEquals(want, got[i], TOLERANCE, what + " cell (" + r + ", " + t + ")");
            }
        }
    }

    private static void assertClose(String what, INDArray want, INDArray got) {
        assertArrayEquals(want.shape(), got.shape(), what);
        double[] a = want.dup('c').data().asDouble(), b = got.dup('c').data().asDouble();
        double scale = 0;
        for (double v : a) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0 || what.contains("embed"), what + ": the full pass's gradient is all 0");
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], TOLERANCE * Math.max(1, scale), what + " entry " + i);
        }
    }

    private static void assertTrue(boolean ok, String message) {
        org.junit.jupiter.api.Assertions.assertTrue(ok, message);
    }
}
