package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Passes after a {@link PromptPrefix} against the full pass, in double precision: every cell's
 * log-probability after the prefix and every bias gradient entry after it agree to 1e-10, on
 * right-padded rows of different lengths, one of them shorter than the prefix (all padding after it).
 */
class PromptPrefixTest {
    static final double TOLERANCE = 1e-10;
    /** Sequence lengths; the batch is 10 cells long and the prefix 4, so row 1 ends inside it. */
    static final int[] LENGTHS = {11, 4, 8, 9};
    static final int PREFIX = 4;

    @Test
    void logProbsAndBiasGradientEqualTheFullPass() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaModel model = new LlamaModel(TinyModels.weights(c, 21, DataType.DOUBLE));
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 8, LENGTHS));
            INDArray bias = biasAfterPrefix(tb);
            double[] weights = weightsAfterPrefix(tb);

            double[] fullLp = model.logProbs(tb, bias);
            INDArray fullGrad;
            try (ForwardPass fp = model.forward(tb, bias); Gradients g = fp.backward(weights, false, true)) {
                fullGrad = g.bias().dup();
            }
            try (PromptPrefix prefix = model.prefix(tb, PREFIX)) {
                double[] lp = model.logProbs(tb, bias, prefix);
                double[] kept;
                INDArray grad;
                try (ForwardPass fp = model.forward(tb, bias, prefix); Gradients g = fp.backward(weights, false, true)) {
                    kept = fp.logProbs();
                    grad = g.bias().dup();
                }
                assertArrayEquals(lp, kept, "a kept pass scores as a plain one");
                for (int r = 0; r < tb.batch(); r++) {
                    for (int t = 0; t < tb.length(); t++) {
                        int i = r * tb.length() + t;
                        String at = c + " cell (" + r + ", " + t + ")";
                        if (t < PREFIX) {
                            assertEquals(0.0, lp[i], at + ": not scored inside the prefix");
                            assertEquals(0.0, grad.getDouble(r, t), at + ": no bias gradient inside the prefix");
                        } else {
                            assertEquals(fullLp[i], lp[i], TOLERANCE, at);
                            assertEquals(fullGrad.getDouble(r, t), grad.getDouble(r, t), TOLERANCE, at + " bias gradient");
                        }
                    }
                }
                assertEquals(0.0, fullGrad.getDouble(2, 8), "sanity: a padding key gets no gradient");
            }
        }
    }

    /**
     * The prefix read from a kept pass over a larger batch (docs/design.md 2.6), its rows in another
     * order, scores every cell after it as the full pass does, to 1e-10 in double precision; a row
     * whose first cells differ from the pass's is refused.
     */
    @Test
    void aPrefixReadFromAKeptPassOfALargerBatchEqualsTheFullPass() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 25, DataType.DOUBLE));
        List<int[]> all = TinyModels.sequences(c.vocabSize(), 12, 9, 11, 6, 8, 10, 7);
        int[] picked = {4, 0, 3};
        List<int[]> some = java.util.Arrays.stream(picked).mapToObj(all::get).toList();
        TokenBatch big = TokenBatch.forScoring(all), tb = TokenBatch.forScoring(some);
        INDArray bias = biasAfterPrefix(tb);
        double[] fullLp = model.logProbs(tb, bias);
        double[] lp;
        try (ForwardPass kept = model.forward(big, null); PromptPrefix prefix = kept.prefix(tb, picked, PREFIX)) {
            lp = model.logProbs(tb, bias, prefix);
            int[] wrongRows = {4, 1, 3};
            assertThrows(IllegalArgumentException.class, () -> kept.prefix(tb, wrongRows, PREFIX));
        }
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = PREFIX; t < tb.length(); t++) {
                int i = r * tb.length() + t;
                assertEquals(fullLp[i], lp[i], TOLERANCE, "cell (" + r + ", " + t + ")");
            }
        }
        try (ForwardPass biased = model.forward(tb, bias)) {
            assertThrows(IllegalStateException.class, () -> biased.prefix(tb, new int[] {0, 1, 2}, PREFIX));
        }
    }

    @Test
    void theSameCallTwiceGivesTheSameBits() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 22, DataType.FLOAT));
        TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 9, LENGTHS));
        INDArray bias = biasAfterPrefix(tb).castTo(DataType.FLOAT);
        double[] weights = weightsAfterPrefix(tb);
        double[][] lp = new double[2][];
        double[][] grad = new double[2][];
        for (int run = 0; run < 2; run++) {
            try (PromptPrefix prefix = model.prefix(tb, PREFIX);
                 ForwardPass fp = model.forward(tb, bias, prefix); Gradients g = fp.backward(weights, false, true)) {
                lp[run] = fp.logProbs();
                grad[run] = g.bias().data().asDouble();
            }
        }
        assertArrayEquals(lp[0], lp[1]);
        assertArrayEquals(grad[0], grad[1]);
    }

    @Test
    void refusesWhatItCannotComputeExactly() {
        LlamaConfig c = TinyModels.mqaTied(0.3);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 23, DataType.DOUBLE));
        TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 10, LENGTHS));
        INDArray bias = biasAfterPrefix(tb);
        try (PromptPrefix prefix = model.prefix(tb, PREFIX)) {
            INDArray onPrompt = bias.dup();
            onPrompt.putScalar(0, PREFIX - 1, -1.0);
            assertThrows(IllegalArgumentException.class, () -> model.logProbs(tb, onPrompt, prefix));
            TokenBatch other = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 11, LENGTHS));
            assertThrows(IllegalArgumentException.class, () -> model.logProbs(other, bias, prefix));
            LlamaModel another = new LlamaModel(TinyModels.weights(c, 24, DataType.DOUBLE));
            assertThrows(IllegalArgumentException.class, () -> another.logProbs(tb, bias, prefix));
            try (ForwardPass fp = model.forward(tb, bias, prefix)) {
                double[] inPrompt = new double[tb.tokens()];
                inPrompt[PREFIX - 1] = 1;
                assertThrows(IllegalArgumentException.class, () -> fp.backward(inPrompt, false, true));
                assertThrows(IllegalArgumentException.class, () -> fp.backward(weightsAfterPrefix(tb), true, false));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> model.prefix(tb, tb.length()));
    }

    /** Random bias on every key cell after the prefix (padding included), 0 on the prefix. */
    static INDArray biasAfterPrefix(TokenBatch tb) {
        INDArray bias = TinyModels.gaussian(DataType.DOUBLE, 5, 1.5, tb.batch(), tb.length());
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = 0; t < PREFIX; t++) bias.putScalar(r, t, 0.0);
        }
        return bias;
    }

    /** Distinct weights on every cell after the prefix that has a target. */
    static double[] weightsAfterPrefix(TokenBatch tb) {
        double[] w = new double[tb.tokens()];
        for (int r = 0; r < tb.batch(); r++) {
            for (int t = PREFIX; t < tb.length(); t++) {
                if (tb.target(r, t) != TokenBatch.IGNORE) w[r * tb.length() + t] = 0.5 + 0.1 * r - 0.03 * t;
            }
        }
        return w;
    }
}
