package org.atmanrl.reward.saliency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient attribution against central differences of the answer log-likelihood (the sum over
 * the answer tokens) in each CoT key's bias, around b = 0, in double precision; the rows are split
 * over two passes (2 + 1) while the differences score all three together.
 */
class GradientAttributionTest {
    static final int[] P = {3, 2, 4}, N = {4, 3, 2}, A = {2, 3, 1};

    @Test
    void attributionMatchesFiniteDifferencesOfTheAnswerLogLikelihood() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        List<int[]> seqs = SaliencyFixtures.sequences(c, P, N, A);
        List<CompletionSpans> spans = SaliencyFixtures.spans(P, N, A);
        List<double[]> g = GradientAttribution.of(model, seqs, spans, 2);
        assertEquals(P.length, g.size());

        ScoringRows rows = new ScoringRows(seqs, spans);
        double h = 1e-5, worst = 0, largest = 0;
        for (int r = 0; r < rows.rows; r++) {
            CompletionSpans s = spans.get(r);
            assertEquals(s.cotLength(), g.get(r).length);
            for (int j = 0; j < s.cotLength(); j++) {
                double up = answerLogLikelihood(model, rows, r, s.cotStart() + j, h);
                double down = answerLogLikelihood(model, rows, r, s.cotStart() + j, -h);
                double numeric = (up - down) / (2 * h);
                double analytic = g.get(r)[j];
                worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric)));
                largest = Math.max(largest, Math.abs(numeric));
            }
        }
        assertTrue(largest > 1e-2, "the differences are too small to test anything: " + largest);
        assertTrue(worst < 1e-5, "worst relative error " + worst);
    }

    /** Row r's {@code sum_t log p(a_t)} with bias {@code b} on key cell {@code p} of row r only. */
    private static double answerLogLikelihood(LlamaModel model, ScoringRows rows, int r, int p, double b) {
        INDArray bias = Nd4j.zeros(DataType.DOUBLE, rows.rows, rows.length);
        bias.putScalar(r, p, b);
        double[] logProbs = model.logProbs(rows.batch, bias);
        CompletionSpans s = rows.spans.get(r);
        double l = 0;
        // cell t predicts token t + 1: the answer's tokens are predicted from answerStart - 1 on
        for (int t = s.answerStart() - 1; t < s.answerEnd() - 1; t++) l += logProbs[r * rows.length + t];
        return l;
    }
}
