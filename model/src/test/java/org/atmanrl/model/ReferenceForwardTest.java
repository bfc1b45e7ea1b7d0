package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The batched, padded model against the one-sequence-at-a-time scalar reference, in double. */
class ReferenceForwardTest {

    @Test
    void batchedForwardWithBiasMatchesScalarReference() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaWeights w = TinyModels.weights(c, 7, DataType.DOUBLE);
            LlamaModel model = new LlamaModel(w);
            NaiveLlama ref = new NaiveLlama(w);
            List<int[]> seqs = TinyModels.sequences(c.vocabSize(), 3, 9, 4, 7);
            TokenBatch tb = TokenBatch.forScoring(seqs);
            INDArray bias = TinyModels.gaussian(DataType.DOUBLE, 11, 1.5, tb.batch(), tb.length());
            double[] lp = model.logProbs(tb, bias);
            double worst = 0;
            for (int r = 0; r < seqs.size(); r++) {
                int[] s = seqs.get(r);
                double[] keyBias = NaiveLlama.row(bias, r);
                double[] expected = ref.logProbs(s, keyBias);
                for (int t = 0; t < s.length - 1; t++) {
                    worst = Math.max(worst, Math.abs(expected[t] - lp[r * tb.length() + t]));
                }
                for (int t = s.length - 1; t < tb.length(); t++) {
                    assertEquals(0.0, lp[r * tb.length() + t], "padding cells carry no log-prob");
                }
            }
            assertTrue(worst < 1e-10, c + ": worst |model - reference| = " + worst);
        }
    }

    @Test
    void llama3InverseFrequenciesMatchReferenceRule() {
        // Llama 3.2's own values: theta 500000, head_dim 64, factor 32, original context 8192.
        LlamaConfig c = new LlamaConfig(16, 64, 8, 1, 1, 1, null, 131072, 1e-5, 500000.0,
                new LlamaConfig.RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), true, 0.02);
        float[] got = new Rope(c).inverseFrequencies();
        double[] expected = NaiveLlama.inverseFrequencies(c);
        int divided = 0, kept = 0;
        for (int j = 0; j < got.length; j++) {
            assertEquals(expected[j], got[j], 1e-12 * Math.abs(expected[j]) + 1e-30, "inv_freq[" + j + "]");
            double plain = (float) (1.0 / Math.pow(500000.0, (float) (2 * j) / 64f));
            if (Math.abs(got[j] - plain / 32) < 1e-9 * plain) divided++;
            if (got[j] == (float) plain) kept++;
        }
        assertEquals(1.0f, got[0], "the highest frequency is never rescaled");
        assertTrue(divided > 0 && kept > 0 && divided + kept < got.length,
                "expected some frequencies divided by the factor, some kept and some smoothed");
    }
}
