package org.atmanrl.executor.grpo;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.atmanrl.executor.grpo.GrpoConfig.Aggregation;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The task result: additive across tasks, merged in a fixed order, serialisable, normalised once. */
class GradientContributionTest {
    static final LlamaConfig C = TinyModels.gqaUntiedScaled(0.3);
    static final double[] REWARDS = {1, 0, 0, 0.5, 0.3, 0.3};

    /** Completions {@code [from, to)} of a fixed batch of three groups of two. */
    static GradientContribution task(LlamaModel model, GrpoConfig config, int from, int to) {
        List<int[]> prompts = TinyModels.sequences(C.vocabSize(), 1, 3, 3, 2, 2, 4, 4).subList(from, to);
        List<int[]> completions = TinyModels.sequences(C.vocabSize(), 2, 4, 2, 5, 3, 3, 1).subList(from, to);
        GrpoBatch batch = GrpoBatch.of(prompts, completions);
        Advantages adv = Advantages.compute(java.util.Arrays.copyOfRange(REWARDS, from, to), config);
        double[] lp = GrpoGradient.logProbs(model, batch);
        double[] old = lp.clone();
        for (int j = 0; j < batch.completions(); j++) {
            for (int k = 0; k < batch.completionLength(j); k++) {
                old[batch.firstCell(j) + k] += 0.3 * Math.sin(7 * (from + j) + k); // per token, not per cell
            }
        }
        return GrpoGradient.compute(model, config, batch, adv, old, null);
    }

    @Test
    void tasksMergeToTheSingleTaskResultForEveryAggregation() {
        LlamaModel model = new LlamaModel(TinyModels.weights(C, 5, DataType.FLOAT));
        for (Aggregation agg : Aggregation.values()) {
            GrpoConfig config = with(GrpoConfig.defaults(), "groupSize", 2, "maxCompletionLength", 5,
                    "aggregation", agg);
            GradientContribution one = task(model, config, 0, 6);
            GradientContribution merged = GradientContribution.sum(List.of(
                    task(model, config, 0, 2), task(model, config, 2, 4), task(model, config, 4, 6)));
            assertEquals(one.sums().normaliser(), merged.sums().normaliser(), 0.0);
            assertEquals(one.sums().tokens(), merged.sums().tokens());
            assertEquals(3, merged.sums().groups());
            assertEquals(1, merged.sums().zeroVarianceGroups());
            assertEquals(one.sums().loss(), merged.sums().loss(), 1e-9);
            NormalisedGradient a = one.normalise(), b = merged.normalise();
            assertEquals(a.loss(), b.loss(), 1e-9);
            for (int t = 0; t < a.names().size(); t++) {
                float[] x = a.gradients()[t], y = b.gradients()[t];
                double scale = 0;
                for (float v : x) scale = Math.max(scale, Math.abs(v));
                assertTrue(scale > 0, a.names().get(t) + " has a gradient");
                assertArrayEquals(x, y, (float) (1e-5 * scale), agg.configName() + " " + a.names().get(t));
            }
        }
    }

    @Test
    void sumFoldsInListOrderAndIsReproducible() {
        LlamaModel model = new LlamaModel(TinyModels.weights(C, 5, DataType.FLOAT));
        GrpoConfig config = with(GrpoConfig.defaults(), "groupSize", 2);
        GradientContribution p0 = task(model, config, 0, 2), p1 = task(model, config, 2, 4), p2 = task(model, config, 4, 6);
        GradientContribution fold = GradientContribution.sum(List.of(p0, p1, p2));
        GradientContribution byHand = p0.merge(p1).merge(p2);
        GradientContribution again = GradientContribution.sum(List.of(task(model, config, 0, 2),
                task(model, config, 2, 4), task(model, config, 4, 6)));
        for (int t = 0; t < fold.names().size(); t++) {
            float[] f = fold.gradientSum(t);
            assertTrue(java.util.Arrays.equals(f, byHand.gradientSum(t)), "sum is ((p0 + p1) + p2)");
            assertTrue(java.util.Arrays.equals(f, again.gradientSum(t)), "recomputed tasks give the same bits");
            for (int j = 0; j < f.length; j++) {
                assertEquals(f[j], (p0.gradientSum(t)[j] + p1.gradientSum(t)[j]) + p2.gradientSum(t)[j], 0.0f);
            }
        }
        assertEquals(byHand.sums().loss(), fold.sums().loss(), 0.0);
    }

    @Test
    void sumAddsInPartitionOrderWhereFloatAdditionDoesNotAssociate() {
        // (1e8 + (−1e8)) + 1 = 1, but (1e8 + 1) + (−1e8) = 0 in float: the order is observable.
        GradientContribution p0 = single(1e8f), p1 = single(-1e8f), p2 = single(1f);
        assertEquals(1f, GradientContribution.sum(List.of(p0, p1, p2)).gradientSum(0)[0], 0f);
        assertEquals(0f, GradientContribution.sum(List.of(p0, p2, p1)).gradientSum(0)[0], 0f);
        assertEquals(1f, p0.merge(p1).merge(p2).gradientSum(0)[0], 0f);
    }

    static GradientContribution single(float v) {
        return new GradientContribution(Aggregation.TOKEN,
                new org.atmanrl.model.NamedArrays(new String[] {"w"}, new long[][] {{1}}, new float[][] {{v}}),
                GrpoSums.zero());
    }

    @Test
    void emptyIsTheIdentityAndNormalisesToZero() {
        LlamaModel model = new LlamaModel(TinyModels.weights(C, 5, DataType.FLOAT));
        GrpoConfig config = with(GrpoConfig.defaults(), "groupSize", 2);
        GradientContribution empty = GradientContribution.empty(Aggregation.TOKEN, C);
        GradientContribution x = task(model, config, 0, 2);
        assertEquals(x.names(), empty.names());
        GradientContribution y = empty.merge(x);
        for (int t = 0; t < x.names().size(); t++) assertArrayEquals(x.gradientSum(t), y.gradientSum(t), 0f);
        NormalisedGradient n = empty.normalise();
        assertEquals(0.0, n.loss(), 0.0);
        for (float[] g : n.gradients()) for (float v : g) assertEquals(0f, v, 0f);
    }

    @Test
    void normaliseDividesEverySumByTheNormaliser() {
        LlamaModel model = new LlamaModel(TinyModels.weights(C, 5, DataType.FLOAT));
        GrpoConfig config = with(GrpoConfig.defaults(), "groupSize", 2, "maxCompletionLength", 7,
                "aggregation", Aggregation.DR_GRPO);
        GradientContribution x = task(model, config, 0, 4);
        assertEquals(4 * 7, x.sums().normaliser(), 0.0);
        NormalisedGradient n = x.normalise();
        assertEquals(x.sums().loss() / 28, n.loss(), 1e-15);
        for (int t = 0; t < x.names().size(); t++) {
            float[] s = x.gradientSum(t), m = n.gradients()[t];
            for (int j = 0; j < s.length; j++) assertEquals((float) (s[j] / 28.0), m[j], 0f);
        }
        Map<String, INDArray> arrays = n.toArrays(DataType.DOUBLE);
        assertEquals(x.names(), List.copyOf(arrays.keySet()));
        INDArray q = arrays.get("model.layers.0.self_attn.q_proj.weight");
        assertArrayEquals(new long[] {16, 8}, q.shape());
        assertEquals(DataType.DOUBLE, q.dataType());
        int qi = x.names().indexOf("model.layers.0.self_attn.q_proj.weight");
        assertEquals(n.gradients()[qi][8 * 2 + 5], q.getDouble(2, 5), 0.0, "row-major");
    }

    @Test
    void namesFollowTheCheckpointOrderWithATiedHeadOnce() {
        LlamaConfig tied = TinyModels.mqaTied(0.3);
        try (LlamaWeights w = TinyModels.weights(tied, 1, DataType.FLOAT)) {
            GradientContribution g = GradientContribution.of(Aggregation.TOKEN, w, GrpoSums.zero());
            assertEquals(List.copyOf(w.named().keySet()), g.names());
            assertFalse(g.names().contains("lm_head.weight"));
            assertEquals(List.copyOf(LlamaWeights.shapes(tied).keySet()),
                    GradientContribution.empty(Aggregation.TOKEN, tied).names());
        }
    }

    @Test
    void mergeRefusesOtherAggregationsAndOtherModels() {
        GradientContribution a = GradientContribution.empty(Aggregation.TOKEN, C);
        assertThrows(IllegalArgumentException.class,
                () -> a.merge(GradientContribution.empty(Aggregation.SEQUENCE, C)));
        assertThrows(IllegalArgumentException.class,
                () -> a.merge(GradientContribution.empty(Aggregation.TOKEN, TinyModels.mqaTied(0.3))));
    }
}
