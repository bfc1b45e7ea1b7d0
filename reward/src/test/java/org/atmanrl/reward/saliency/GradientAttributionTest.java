package org.atmanrl.reward.saliency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The gradient attribution against central differences of the answer log-likelihood (the sum over
 * the answer tokens) in each CoT key's bias, around b = 0, in double precision; the attribution
 * splits the rows over two passes (2 + 1), the differences score each row alone.
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

        double h = 1e-5, worst = 0, largest = 0;
        for (int r = 0; r < seqs.size(); r++) {
            CompletionSpans s = spans.get(r);
            assertEquals(s.cotLength(), g.get(r).length);
            for (int j = 0; j < s.cotLength(); j++) {
                double[] bias = new double[seqs.get(r).length];
                bias[s.cotStart() + j] = h;
                double up = MaskFitterTest.answerLl(model, seqs.get(r), s, bias);
                bias[s.cotStart() + j] = -h;
                double down = MaskFitterTest.answerLl(model, seqs.get(r), s, bias);
                double numeric = (up - down) / (2 * h);
                worst = Math.max(worst, Math.abs(numeric - g.get(r)[j]) / Math.max(1e-3, Math.abs(numeric)));
                largest = Math.max(largest, Math.abs(numeric));
            }
        }
        assertTrue(largest > 1e-2, "the differences are too small to test anything: " + largest);
        assertTrue(worst < 1e-5, "worst relative error " + worst);
    }
}
