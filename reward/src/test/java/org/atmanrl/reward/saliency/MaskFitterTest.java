package org.atmanrl.reward.saliency;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Batched fitting and scoring: batch independence, the three likelihoods, the reference. */
class MaskFitterTest {
    static final int[] P = {3, 2, 4, 2}, N = {4, 3, 2, 5}, A = {2, 3, 1, 2};

    @Test
    void eachCompletionsScoreIsIndependentOfItsBatch() {
        LlamaConfig c = TinyModels.mqaTied(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        List<int[]> seqs = SaliencyFixtures.sequences(c, P, N, A);
        List<CompletionSpans> spans = SaliencyFixtures.spans(P, N, A);
        SaliencyConfig together = SaliencyConfig.defaults();
        SaliencyConfig alone = together.withMaxRowsPerPass(1);
        var a = new MaskFitter(model, together).score(seqs, spans).scores();
        var b = new MaskFitter(model, alone).score(seqs, spans).scores();
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(N[i], a.get(i).mask().length);
            for (int j = 0; j < N[i]; j++) {
                assertEquals(b.get(i).mask()[j], a.get(i).mask()[j], 1e-9, "row " + i + " token " + j);
            }
            assertEquals(b.get(i).reward(), a.get(i).reward(), 1e-9);
        }
    }

    /**
     * l_full, l_none, l_mask and r_sal against single-row passes with the bias written out; at
     * epsilon 0 the CoT is cut out, which must equal a full pass whose CoT keys get a bias so
     * negative that their weight is exactly 0 in double precision (docs/design.md 2.2).
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1e-4})
    void likelihoodsAndTermsAreThoseOfTheirDefinitions(double epsilon) {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        List<int[]> seqs = SaliencyFixtures.sequences(c, P, N, A);
        List<CompletionSpans> spans = SaliencyFixtures.spans(P, N, A);
        SaliencyConfig config = with(SaliencyConfig.defaults(), "steps", 3, "epsilon", epsilon);
        var scores = new MaskFitter(model, config).score(seqs, spans).scores();
        for (int i = 0; i < seqs.size(); i++) {
            int[] s = seqs.get(i);
            CompletionSpans sp = spans.get(i);
            SaliencyScore score = scores.get(i);
            assertEquals(answerLl(model, s, sp, null), score.lFull(), 1e-9);
            double[] none = new double[s.length];
            for (int p = sp.cotStart(); p < sp.cotEnd(); p++) none[p] = epsilon == 0 ? -1e9 : Math.log(epsilon);
            assertEquals(answerLl(model, s, sp, none), score.lNone(), 1e-9);
            double[] keep = new double[s.length];
            for (int p = sp.cotStart(); p < sp.cotEnd(); p++) keep[p] = Math.log(score.mask()[p - sp.cotStart()]);
            assertEquals(answerLl(model, s, sp, keep), score.lMask(), 1e-9);
            assertEquals(SaliencyTerms.necessity(score.lNone(), score.lFull()) * SaliencyTerms.coverage(score.mask()),
                    score.reward(), 1e-12);
            for (double m : score.mask()) {
                assertTrue(m > 0 && m < 1);
            }
        }
    }

    @Test
    void withNoStepsTheMaskIsSigmoidOfTheta0() {
        LlamaConfig c = TinyModels.mqaTied(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        SaliencyConfig k0 = new SaliencyConfig(0, 0.5, 1.5, 1, 1e-4, SaliencyConfig.MaskObjective.PRESERVATION,
                SaliencyConfig.RewardForm.C, 0.5, 0.1, 64, SaliencyConfig.MaskSource.FITTED, 16, 3e-3, 10, 16);
        var batch = new MaskFitter(model, k0).score(SaliencyFixtures.sequences(c, P, N, A), SaliencyFixtures.spans(P, N, A));
        for (SaliencyScore s : batch.scores()) {
            for (double m : s.mask()) assertEquals(1 / (1 + Math.exp(-1.5)), m, 1e-12);
            assertEquals(1 / (1 + Math.exp(-1.5)), s.reward(), 1e-12);
        }
        assertTrue(batch.collapsed(), "identical masks are a collapse");
    }

    @Test
    void exhaustiveDropsEqualOneSuppressedTokenAtATime() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        List<int[]> seqs = SaliencyFixtures.sequences(c, P, N, A);
        List<CompletionSpans> spans = SaliencyFixtures.spans(P, N, A);
        List<double[]> drops = AtmanPerturbation.drops(model, seqs, spans, 0.1, 5);
        for (int i = 0; i < seqs.size(); i++) {
            CompletionSpans sp = spans.get(i);
            double full = answerLl(model, seqs.get(i), sp, null);
            for (int j = 0; j < sp.cotLength(); j++) {
                double[] b = new double[seqs.get(i).length];
                b[sp.cotStart() + j] = Math.log(0.1);
                assertEquals(full - answerLl(model, seqs.get(i), sp, b), drops.get(i)[j], 1e-9, "row " + i + " token " + j);
            }
        }
    }

    /** Answer log-likelihood of one sequence alone, with an optional bias per position. */
    static double answerLl(LlamaModel model, int[] seq, CompletionSpans sp, double[] bias) {
        var tb = org.atmanrl.model.TokenBatch.forScoring(List.of(seq));
        INDArray b = null;
        if (bias != null) {
            b = Nd4j.create(java.util.Arrays.copyOf(bias, tb.length()), new long[] {1, tb.length()}, 'c');
        }
        double[] lp = model.logProbs(tb, b);
        double l = 0;
        for (int t = sp.answerStart() - 1; t < sp.answerEnd() - 1; t++) l += lp[t];
        return l;
    }
}
