package org.atmanrl.reward.saliency;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.atmanrl.model.AttentionBias;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.PromptPrefix;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The batched mask-fit gradient against central differences of the objective, written out
 * independently here from docs/design.md 2.2, in double precision, for both objectives, with and
 * without the prompt prefix computed once (docs/design.md 2.2, "Prefix reuse").
 */
class MaskGradientTest {
    static final int[] P = {3, 2, 4}, N = {4, 3, 2}, A = {2, 3, 1};

    @ParameterizedTest
    @EnumSource(SaliencyConfig.MaskObjective.class)
    void gradientMatchesFiniteDifferences(SaliencyConfig.MaskObjective objective) {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        List<int[]> seqs = SaliencyFixtures.sequences(c, P, N, A);
        ScoringRows rows = new ScoringRows(seqs, SaliencyFixtures.spans(P, N, A));
        SaliencyConfig config = with(SaliencyConfig.defaults(), "objective", objective);
        MaskFitter fitter = new MaskFitter(model, config);
        INDArray cot = rows.cotMask(DataType.DOUBLE);
        INDArray theta = cot.dup();
        SplittableRandom rng = new SplittableRandom(5);
        for (int r = 0; r < rows.rows; r++) {
            for (int p = 0; p < rows.length; p++) {
                if (cot.getDouble(r, p) == 1) theta.putScalar(r, p, rng.nextDouble(-3, 2));
            }
        }
        double[][] numeric = numericGradient(model, rows, theta, cot, config);
        try (PromptPrefix prefix = model.prefix(rows.batch, rows.unbiasedPrefixLength())) {
            assertEquals(2, prefix.length());
            for (PromptPrefix reused : new PromptPrefix[] {null, prefix}) {
                INDArray g = fitter.gradient(rows, theta, cot, rows.inverseCotLengths(DataType.DOUBLE), reused)
                        .thetaGradient();
                double worst = 0;
                for (int r = 0; r < rows.rows; r++) {
                    for (int p = 0; p < rows.length; p++) {
                        double n = numeric[r][p];
                        worst = Math.max(worst, Math.abs(n - g.getDouble(r, p)) / Math.max(1e-3, Math.abs(n)));
                    }
                }
                assertTrue(worst < 1e-5, objective + (reused == null ? "" : ", prefix reused")
                        + ": worst relative error " + worst);
            }
        }
    }

    /** Central differences of {@link #objective} in every entry of theta. */
    private static double[][] numericGradient(LlamaModel model, ScoringRows rows, INDArray theta, INDArray cot,
                                              SaliencyConfig config) {
        double[][] numeric = new double[rows.rows][rows.length];
        double h = 1e-5;
        for (int r = 0; r < rows.rows; r++) {
            for (int p = 0; p < rows.length; p++) {
                double at = theta.getDouble(r, p);
                theta.putScalar(r, p, at + h);
                double up = objective(model, rows, theta, cot, config);
                theta.putScalar(r, p, at - h);
                double down = objective(model, rows, theta, cot, config);
                theta.putScalar(r, p, at);
                numeric[r][p] = (up - down) / (2 * h);
            }
        }
        return numeric;
    }

    /**
     * Sum over rows of the objective of docs/design.md 2.2, from log-probabilities and the mask
     * directly.
     */
    static double objective(LlamaModel model, ScoringRows rows, INDArray theta, INDArray cot, SaliencyConfig config) {
        boolean deletion = config.objective() == SaliencyConfig.MaskObjective.DELETION;
        INDArray m = AttentionBias.mask(theta);
        INDArray bias = m.dup();
        for (int r = 0; r < rows.rows; r++) {
            for (int p = 0; p < rows.length; p++) {
                double mj = m.getDouble(r, p);
                bias.putScalar(r, p, cot.getDouble(r, p) == 1 ? Math.log(deletion ? 1 - mj : mj) : 0);
            }
        }
        double[] l = rows.answerLogLikelihood(model.logProbs(rows.batch, bias));
        double total = 0;
        for (int r = 0; r < rows.rows; r++) {
            CompletionSpans s = rows.spans.get(r);
            double sum = 0;
            for (int p = s.cotStart(); p < s.cotEnd(); p++) sum += m.getDouble(r, p);
            total += (deletion ? 1 : -1) * l[r] / s.answerLength() + config.lambda() * sum / s.cotLength();
        }
        return total;
    }
}
