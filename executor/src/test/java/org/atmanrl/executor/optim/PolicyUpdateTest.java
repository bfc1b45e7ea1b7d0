package org.atmanrl.executor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoSums;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.model.NamedArrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The policy update clips by the per-shard form of the global norm (docs/design.md 3.5). */
class PolicyUpdateTest {

    /**
     * Gradients whose squares' sum depends on the order of the additions: {@code a}'s square is
     * 1e16, where a double's spacing is 2, so adding {@code b}'s two 1s to it one at a time loses
     * both, while adding them to each other first (their own shard) keeps their 2.
     */
    private static NormalisedGradient gradient() {
        NamedArrays sums = new NamedArrays(new String[] {"a", "b"}, new long[][] {{1}, {2}},
                new float[][] {{1e8f}, {1f, 1f}});
        return new GradientContribution(GrpoConfig.Aggregation.TOKEN, sums,
                new GrpoSums(0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0)).normalise();
    }

    private static Map<String, INDArray> params() {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put("a", Nd4j.zeros(DataType.FLOAT, 1));
        p.put("b", Nd4j.zeros(DataType.FLOAT, 2));
        return p;
    }

    private static PolicyUpdate update(int shards) {
        return new PolicyUpdate(new AdamW(new AdamW.Config(0.9, 0.999, 1e-8, 0, AdamW.DecayScope.ALL), params()),
                LearningRateSchedule.constant(0.1, 0), 1.0, shards);
    }

    @Test
    void theNormIsSummedPerShardInShardOrder() {
        NormalisedGradient g = gradient();
        NamedArrays layout = new NamedArrays(new String[] {"a", "b"}, new long[][] {{1}, {2}},
                new float[][] {{1e8f}, {1f, 1f}});
        Shards two = Shards.split(layout, 2);
        assertEquals(1, two.endTensor(0), "a alone in shard 0, b in shard 1");
        double perShard = Math.sqrt(1e16 + 2), oneShard = Math.sqrt(1e16);
        assertNotEquals(perShard, oneShard, "the fixture tells the two orders apart");

        assertEquals(oneShard, update(1).apply(gradient(), 0).gradNorm(), 0.0, "P = 1: one pass in order");
        PolicyUpdate.Result r = update(2).apply(g, 0);
        assertEquals(perShard, r.gradNorm(), 0.0, "P = 2: each shard's sum, then the shards' in order");
        assertEquals(Math.sqrt(two.sumOfSquares(layout)), r.gradNorm(), 0.0, "as Shards computes it");
        float clipped = (float) (1f * (1.0 / perShard));
        assertArrayEquals(new float[] {clipped, clipped}, g.gradients()[1], 0f, "clipped to norm 1 by that norm");
    }

    @Test
    void refusesAShardCountBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> update(0));
    }
}
