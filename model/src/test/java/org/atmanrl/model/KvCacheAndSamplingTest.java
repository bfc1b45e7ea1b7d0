package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** fp32: incremental decoding, padding and batch companions, greedy and seeded sampling. */
class KvCacheAndSamplingTest {
    /** Large enough weights that logits are of order 1, as the tolerance assumes. */
    static final LlamaConfig CONFIG = new LlamaConfig(64, 32, 48, 2, 4, 2, null, 128, 1e-5, 10000.0,
            TinyModels.SCALING, false, 0.2);
    final LlamaModel model = new LlamaModel(TinyModels.weights(CONFIG, 21, DataType.FLOAT));

    @Test
    void cachedLogitsEqualFullForwardLogits() {
        List<int[]> seqs = TinyModels.sequences(CONFIG.vocabSize(), 4, 20, 13, 17);
        int[] promptLengths = {6, 2, 9};
        List<int[]> prompts = new ArrayList<>();
        for (int r = 0; r < seqs.size(); r++) prompts.add(java.util.Arrays.copyOf(seqs.get(r), promptLengths[r]));

        double worst = 0, scale = 0;
        try (KvCache cache = model.newCache(seqs.size(), 32)) {
            INDArray step = model.nextTokenLogits(TokenBatch.leftPadded(prompts), cache);
            int[] fed = promptLengths.clone();
            for (int s = 0; ; s++) {
                for (int r = 0; r < seqs.size(); r++) {
                    if (fed[r] > seqs.get(r).length) continue;
                    double[] full = fullLogits(seqs.get(r), fed[r] - 1);
                    double[] cached = step.getRow(r).toDoubleVector();
                    for (int v = 0; v < full.length; v++) {
                        worst = Math.max(worst, Math.abs(full[v] - cached[v]));
                        scale = Math.max(scale, Math.abs(full[v]));
                    }
                }
                int[] ids = new int[seqs.size()], pos = new int[seqs.size()];
                boolean[] valid = new boolean[seqs.size()];
                boolean any = false;
                for (int r = 0; r < seqs.size(); r++) {
                    if (fed[r] < seqs.get(r).length) {
                        ids[r] = seqs.get(r)[fed[r]];
                        pos[r] = fed[r];
                        valid[r] = true;
                        any = true;
                    }
                    fed[r]++;
                }
                if (!any) break;
                step = model.nextTokenLogits(new TokenBatch(seqs.size(), 1, ids, pos, valid, null), cache);
            }
        }
        assertTrue(scale > 1 && scale < 20, "logits should be of order 1, max |logit| = " + scale);
        assertTrue(worst <= 1e-4, "max |cached - full| = " + worst);
    }

    /** Logits after {@code seq[0..t]} from a full forward of that sequence alone. */
    private double[] fullLogits(int[] seq, int t) {
        INDArray l = model.logits(TokenBatch.forScoring(List.of(java.util.Arrays.copyOf(seq, Math.max(2, t + 2)))), null);
        return l.getRow(t).toDoubleVector();
    }

    @Test
    void logProbsUnchangedByPaddingAndCompanions() {
        int[] seq = TinyModels.tokens(CONFIG.vocabSize(), 11, 5);
        double[] alone = model.logProbs(TokenBatch.forScoring(List.of(seq)), null);
        List<int[]> batch = new ArrayList<>(TinyModels.sequences(CONFIG.vocabSize(), 8, 25, 3));
        batch.add(1, seq);
        TokenBatch tb = TokenBatch.forScoring(batch);
        double[] together = model.logProbs(tb, null);
        double worst = 0;
        for (int t = 0; t < seq.length - 1; t++) {
            worst = Math.max(worst, Math.abs(alone[t] - together[tb.length() + t]));
        }
        assertTrue(worst <= 1e-5, "max |alone - in batch| = " + worst);
    }

    @Test
    void greedySamplingEqualsArgmaxOfFullForward() {
        List<int[]> prompts = TinyModels.sequences(CONFIG.vocabSize(), 13, 5, 9, 1);
        List<int[]> out = Sampler.generate(model, prompts, new long[] {1, 2, 3}, 99, SamplingParams.greedy(12));
        for (int r = 0; r < prompts.size(); r++) {
            int[] p = prompts.get(r), c = out.get(r);
            assertEquals(12, c.length);
            int[] full = new int[p.length + c.length];
            System.arraycopy(p, 0, full, 0, p.length);
            System.arraycopy(c, 0, full, p.length, c.length);
            INDArray logits = model.logits(TokenBatch.forScoring(List.of(full)), null);
            for (int s = 0; s < c.length; s++) {
                int argmax = logits.getRow(p.length - 1 + s).argMax().getInt(0);
                assertEquals(argmax, c[s], "row " + r + " step " + s);
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleAndIndependentOfCompanions() {
        SamplingParams p = new SamplingParams(1.0, 0.9, 20, 16, null);
        List<int[]> prompts = TinyModels.sequences(CONFIG.vocabSize(), 17, 4, 7, 3, 6);
        long[] keys = {10, 11, 12, 13};
        List<int[]> a = Sampler.generate(model, prompts, keys, 5, p);
        List<int[]> b = Sampler.generate(model, prompts, keys, 5, p);
        for (int r = 0; r < prompts.size(); r++) assertArrayEquals(a.get(r), b.get(r), "same seed, row " + r);

        List<int[]> alone = Sampler.generate(model, List.of(prompts.get(2)), new long[] {12}, 5, p);
        assertArrayEquals(a.get(2), alone.get(0), "row 2 alone vs in its batch");

        List<int[]> otherSeed = Sampler.generate(model, prompts, keys, 6, p);
        boolean differs = false;
        for (int r = 0; r < prompts.size(); r++) differs |= !java.util.Arrays.equals(a.get(r), otherSeed.get(r));
        assertTrue(differs, "another seed should give other tokens");
    }

    @Test
    void stopTokenEndsItsRowOnly() {
        List<int[]> prompts = TinyModels.sequences(CONFIG.vocabSize(), 23, 4, 6);
        List<int[]> free = Sampler.generate(model, prompts, new long[] {1, 2}, 3, SamplingParams.greedy(10));
        int stop = free.get(0)[3];
        List<int[]> stopped = Sampler.generate(model, prompts, new long[] {1, 2}, 3, SamplingParams.greedy(10, stop));
        int firstStop = 0;
        while (free.get(0)[firstStop] != stop) firstStop++;
        assertArrayEquals(java.util.Arrays.copyOf(free.get(0), firstStop + 1), stopped.get(0));
        int[] row1 = free.get(1);
        int end = 0;
        while (end < row1.length && row1[end] != stop) end++;
        assertArrayEquals(java.util.Arrays.copyOf(row1, Math.min(row1.length, end + 1)), stopped.get(1));
    }

    @Test
    void pickFollowsTemperatureTopKAndTopP() {
        float[] logits = {2.0f, 1.0f, 0.5f, 0.5f, -1.0f, 3.0f};
        double t = 0.7;
        double[] soft = new double[logits.length];
        double z = 0;
        for (int i = 0; i < logits.length; i++) z += soft[i] = Math.exp(logits[i] / t);
        for (int i = 0; i < soft.length; i++) soft[i] /= z;

        assertFrequencies(logits, new SamplingParams(t, 1, 0, 1, null), soft);
        // top-k 3: ids 5, 0, 1 renormalised
        double k3 = soft[5] + soft[0] + soft[1];
        assertFrequencies(logits, new SamplingParams(t, 1, 3, 1, null),
                new double[] {soft[0] / k3, soft[1] / k3, 0, 0, 0, soft[5] / k3});
        // top-p: smallest prefix of (5, 0, 1, 2, 3, 4) whose mass reaches 0.9 of the total
        double acc = 0;
        int[] order = {5, 0, 1, 2, 3, 4};
        double[] expected = new double[logits.length];
        for (int id : order) {
            if (acc >= 0.9) break;
            acc += soft[id];
            expected[id] = soft[id];
        }
        for (int i = 0; i < expected.length; i++) expected[i] /= acc;
        assertFalse(expected[4] > 0, "the least likely token is outside this nucleus");
        assertFrequencies(logits, new SamplingParams(t, 0.9, 0, 1, null), expected);
        assertEquals(5, Sampler.pick(logits, 0, logits.length, SamplingParams.greedy(1), 0.3));
    }

    @Test
    void topKSelectionEqualsTheFullSort() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int vocab : new int[] {2, 17, 512, 4099}) {
            float[] l = new float[vocab + 3];
            for (int i = 0; i < l.length; i++) l[i] = (float) (rnd.nextInt(40) / 8.0 - 2); // many ties
            for (int k : new int[] {1, 2, vocab / 2, vocab - 1}) {
                if (k < 1) continue;
                long[] all = new long[vocab];
                for (int i = 0; i < vocab; i++) {
                    int bits = Float.floatToIntBits(l[3 + i]);
                    all[i] = ((long) ~(bits ^ ((bits >> 31) & 0x7fffffff)) << 32) | i;
                }
                java.util.Arrays.sort(all);
                assertArrayEquals(java.util.Arrays.copyOf(all, k), Sampler.smallestKeys(l, 3, vocab, k),
                        "vocab " + vocab + ", k " + k);
            }
        }
    }

    /** Sweeps u over a fine grid: the share of each token must equal its probability. */
    private static void assertFrequencies(float[] logits, SamplingParams p, double[] expected) {
        int m = 20000;
        double[] freq = new double[logits.length];
        for (int i = 0; i < m; i++) freq[Sampler.pick(logits, 0, logits.length, p, (i + 0.5) / m)] += 1.0 / m;
        for (int i = 0; i < logits.length; i++) {
            assertEquals(expected[i], freq[i], 1e-4, "token " + i + " under " + p);
        }
    }
}
