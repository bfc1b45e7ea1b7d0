package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every analytic gradient against central finite differences in double precision, entry by entry:
 * all weights of {@code sum_t w_t log p(y_t)} (with an attention bias active and padded rows), and
 * theta of an answer log-likelihood with weights frozen. Relative error is
 * {@code |a - n| / max(|a|, |n|)}; entries where both are below {@link #FLOOR} must instead agree
 * to {@link #ABS_TOLERANCE} absolutely (their relative error would measure rounding noise).
 *
 * <p>The numeric derivative is the fourth-order stencil
 * {@code (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h}: with {@code h = 1e-4} its truncation
 * error is ~h^4 and its rounding noise ~1e-15 |f| / h ~ 1e-10, where a plain central difference at
 * h = 1e-6 had noise of ~5e-9 (seen as 3e-5 relative error on a 4e-5 gradient).
 */
class GradientCheckTest {
    static final double H = 1e-4;
    static final double FLOOR = 1e-6;
    static final double ABS_TOLERANCE = 1e-10;
    static final double MAX_RELATIVE_ERROR = 1e-5;

    @Test
    void weightGradientsMatchFiniteDifferences() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaWeights w = TinyModels.weights(c, 3, DataType.DOUBLE);
            LlamaModel model = new LlamaModel(w);
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 5, 7, 4));
            INDArray theta = TinyModels.gaussian(DataType.DOUBLE, 9, 1.0, tb.batch(), tb.length());
            INDArray span = span(tb, new int[][] {{1, 4}, {0, 2}});
            INDArray bias = AttentionBias.fromTheta(theta, span);
            double[] cellWeights = cellWeights(tb, 17);

            Gradients g;
            try (ForwardPass fp = model.forward(tb, bias)) {
                g = fp.backward(cellWeights, true, false);
            }
            Map<String, INDArray> grads = g.weights().named();
            for (Map.Entry<String, INDArray> e : w.named().entrySet()) {
                INDArray param = e.getValue();
                INDArray analytic = grads.get(e.getKey());
                Worst worst = worstError(param, analytic, () -> objective(model, tb, bias, cellWeights));
                System.out.printf("gradient check %s %s: %s%n", name(c), e.getKey(), worst);
                assertTrue(worst.error() <= MAX_RELATIVE_ERROR, c + " " + e.getKey() + ": " + worst);
            }
        }
    }

    @Test
    void thetaGradientWithFrozenWeightsMatchesFiniteDifferences() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaWeights w = TinyModels.weights(c, 4, DataType.DOUBLE);
            LlamaModel model = new LlamaModel(w);
            ThetaCase tc = ThetaCase.of(c);
            TokenBatch tb = tc.tokens();
            INDArray span = tc.span(), theta = tc.theta();
            double[] answer = tc.answer();

            INDArray analytic;
            try (ForwardPass fp = model.forward(tb, AttentionBias.fromTheta(theta, span))) {
                Gradients g = fp.backward(answer, false, true);
                assertTrue(g.weights() == null, "weights are frozen: no weight gradients");
                analytic = AttentionBias.thetaGradient(g.bias(), theta, span);
            }
            Worst worst = worstError(theta, analytic,
                    () -> objective(model, tb, AttentionBias.fromTheta(theta, span), answer));
            System.out.printf("gradient check %s theta: %s%n", name(c), worst);
            assertTrue(worst.error() <= MAX_RELATIVE_ERROR, c + " theta: " + worst);
            // Off-span theta has no effect and gets no gradient.
            assertTrue(analytic.mul(span.rsub(1.0)).amaxNumber().doubleValue() == 0.0);
        }
    }

    /**
     * The mask-logit check's fixture, shared with the LoRA one: two rows of 6 scored cells with CoT
     * cells [1, 5) and [1, 3), the answer the last two targets of each row, and seeded theta.
     */
    record ThetaCase(TokenBatch tokens, INDArray span, double[] answer, INDArray theta) {
        static ThetaCase of(LlamaConfig c) {
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 6, 8, 6));
            double[] answer = new double[tb.tokens()];
            answer[tb.length() - 2] = answer[tb.length() - 1] = 1;
            answer[tb.length() + 3] = answer[tb.length() + 4] = 1;
            return new ThetaCase(tb, GradientCheckTest.span(tb, new int[][] {{1, 5}, {1, 3}}), answer,
                    TinyModels.gaussian(DataType.DOUBLE, 12, 1.0, tb.batch(), tb.length()));
        }
    }

    private static String name(LlamaConfig c) {
        return "heads " + c.numAttentionHeads() + "/" + c.numKeyValueHeads() + (c.tieWordEmbeddings() ? " tied" : " untied")
                + (c.ropeScaling() != null ? " llama3-rope" : " plain-rope");
    }

    private static double objective(LlamaModel model, TokenBatch tb, INDArray bias, double[] weights) {
        double[] lp = model.logProbs(tb, bias);
        double s = 0;
        for (int i = 0; i < lp.length; i++) s += weights[i] * lp[i];
        return s;
    }

    /** The worst entry: its error, index and both values (for the failure message). */
    record Worst(double error, long index, double analytic, double numeric) {
        @Override public String toString() {
            return "worst relative error " + error + " at entry " + index + " (analytic " + analytic
                    + ", numeric " + numeric + ")";
        }
    }

    /** Perturbs every entry of {@code param} in place (restoring it) and returns the worst error. */
    static Worst worstError(INDArray param, INDArray analytic, java.util.function.DoubleSupplier fn) {
        Worst worst = new Worst(0, -1, 0, 0);
        for (long i = 0; i < param.length(); i++) {
            double orig = param.getDouble(i);
            double[] f = new double[4];
            double[] steps = {2 * H, H, -H, -2 * H};
            for (int k = 0; k < 4; k++) {
                param.putScalar(i, orig + steps[k]);
                f[k] = fn.getAsDouble();
            }
            param.putScalar(i, orig);
            double numeric = (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * H);
            double a = analytic.getDouble(i);
            double scale = Math.max(Math.abs(a), Math.abs(numeric));
            double err = scale < FLOOR ? (Math.abs(a - numeric) <= ABS_TOLERANCE ? 0 : Double.POSITIVE_INFINITY)
                    : Math.abs(a - numeric) / scale;
            if (err > worst.error() || worst.index() < 0) worst = new Worst(err, i, a, numeric);
        }
        return worst;
    }

    static INDArray span(TokenBatch tb, int[][] ranges) {
        INDArray s = Nd4j.zeros(DataType.DOUBLE, tb.batch(), tb.length());
        for (int r = 0; r < ranges.length; r++) {
            for (int t = ranges[r][0]; t < ranges[r][1]; t++) s.putScalar(r, t, 1.0);
        }
        return s;
    }

    static double[] cellWeights(TokenBatch tb, long seed) {
        double[] w = new double[tb.tokens()];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (int b = 0; b < tb.batch(); b++) {
            for (int t = 0; t < tb.length(); t++) {
                if (tb.target(b, t) != TokenBatch.IGNORE) w[b * tb.length() + t] = rng.nextGaussian();
            }
        }
        return w;
    }

}
