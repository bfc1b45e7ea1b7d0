package org.atmanrl.executor.grpo;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.atmanrl.executor.grpo.GrpoConfig.Aggregation;
import org.junit.jupiter.api.Test;

/**
 * Each aggregation on a hand-worked batch: two groups of G = 2, prompts of 2 tokens, completions of
 * 2, 3, 1 and 2 tokens, ε = 0.2, β = 0, advantages (1.5, −1.5, −0.5, 0.5) and these ratios and
 * per-token losses {@code −min(ρA, clip(ρ)A)}:
 *
 * <pre>
 *   completion 0, A =  1.5: ρ 1, 1.1       loss −1.5, −1.65           d/dlogp −1.5, −1.65
 *   completion 1, A = −1.5: ρ 1, 0.5, 1.5  loss 1.5, 1.2 (low), 2.25  d/dlogp 1.5, 0, 2.25
 *   completion 2, A = −0.5: ρ 0.9          loss 0.45                  d/dlogp 0.45
 *   completion 3, A =  0.5: ρ 1.5, 1       loss −0.6 (high), −0.5     d/dlogp 0, −0.5
 * </pre>
 *
 * Completion sums −3.15, 4.95, 0.45, −1.1; total 1.15 over 8 tokens.
 */
class GrpoLossTest {
    static final double TOL = 1e-12;
    static final double[] ADV = {1.5, -1.5, -0.5, 0.5};
    static final double[][] RATIOS = {{1, 1.1}, {1, 0.5, 1.5}, {0.9}, {1.5, 1}};

    /** The batch of completions {@code from..to-1}, with new and old log-probabilities giving RATIOS. */
    record Task(GrpoBatch batch, double[] lp, double[] old, Advantages adv) {}

    static Task task(int from, int to, boolean[] included) {
        List<int[]> prompts = new java.util.ArrayList<>(), completions = new java.util.ArrayList<>();
        for (int i = from; i < to; i++) {
            prompts.add(new int[] {1, 2});
            completions.add(new int[RATIOS[i].length]);
        }
        GrpoBatch b = GrpoBatch.of(prompts, completions);
        double[] lp = new double[b.cells()], old = new double[b.cells()];
        java.util.Arrays.fill(lp, -3);   // prompt and padding cells: must get weight 0
        java.util.Arrays.fill(old, 5);
        for (int i = from; i < to; i++) {
            for (int k = 0; k < RATIOS[i].length; k++) {
                int c = b.firstCell(i - from) + k;
                lp[c] = -1 - 0.1 * k;
                old[c] = lp[c] - Math.log(RATIOS[i][k]);
            }
        }
        int n = to - from;
        double[] a = java.util.Arrays.copyOfRange(ADV, from, to);
        boolean[] inc = java.util.Arrays.copyOfRange(included, from, to);
        return new Task(b, lp, old, new Advantages(a, new boolean[n / 2], inc, 0));
    }

    static final boolean[] ALL = {true, true, true, true};

    static GrpoLoss.Terms eval(GrpoConfig c, Task t) {
        return GrpoLoss.evaluate(c, t.batch(), t.lp(), t.old(), null, t.adv());
    }

    static GrpoConfig config(Aggregation agg) {
        return with(GrpoConfig.defaults(), "groupSize", 2, "maxCompletionLength", 4, "aggregation", agg);
    }

    @Test
    void tokenAggregationDividesByTheTokenCount() {
        GrpoLoss.Terms t = eval(config(Aggregation.TOKEN), task(0, 4, ALL));
        assertEquals(1.15, t.sums().loss(), TOL);
        assertEquals(8, t.sums().normaliser(), 0.0);
        assertEquals(1.15 / 8, t.sums().meanLoss(), TOL);
        assertEquals(8, t.sums().tokens());
        assertEquals(4, t.sums().completions());
        assertEquals(1, t.sums().clippedLow());
        assertEquals(1, t.sums().clippedHigh());
        assertEquals(2.0 / 8, t.sums().clipFraction(), TOL);
        assertEquals(8.5 / 8, t.sums().meanRatio(), TOL);
        assertEquals(0.0, t.sums().meanK3(), 0.0);
    }

    @Test
    void sequenceAggregationAveragesPerCompletionThenOverCompletions() {
        GrpoLoss.Terms t = eval(config(Aggregation.SEQUENCE), task(0, 4, ALL));
        double expected = (-3.15 / 2 + 4.95 / 3 + 0.45 / 1 - 1.1 / 2) / 4; // = −0.00625
        assertEquals(-0.00625, expected, TOL);
        assertEquals(4, t.sums().normaliser(), 0.0);
        assertEquals(expected, t.sums().meanLoss(), TOL);
    }

    @Test
    void drGrpoAggregationDividesByCompletionsTimesTheBudget() {
        GrpoLoss.Terms t = eval(config(Aggregation.DR_GRPO), task(0, 4, ALL));
        assertEquals(4 * 4, t.sums().normaliser(), 0.0);
        assertEquals(1.15 / 16, t.sums().meanLoss(), TOL);
        assertThrows(IllegalArgumentException.class,
                () -> eval(with(config(Aggregation.DR_GRPO), "maxCompletionLength", 2), task(0, 4, ALL)),
                "a completion longer than the budget breaks the normaliser");
    }

    @Test
    void cellWeightsAreTheLossDerivativeTimesTheSequenceFactor() {
        Task task = task(0, 4, ALL);
        double[] perToken = {-1.5, -1.65, 1.5, 0, 2.25, 0.45, 0, -0.5};
        double[] lengths = {2, 2, 3, 3, 3, 1, 2, 2};
        for (Aggregation agg : Aggregation.values()) {
            double[] w = eval(config(agg), task).cellWeights();
            double[] expected = new double[w.length];
            int j = 0;
            for (int i = 0; i < 4; i++) {
                for (int k = 0; k < task.batch().completionLength(i); k++, j++) {
                    expected[task.batch().firstCell(i) + k] = perToken[j] / (agg == Aggregation.SEQUENCE ? lengths[j] : 1);
                }
            }
            assertArrayEquals(expected, w, TOL, agg.configName());
        }
    }

    @Test
    void twoTasksMergeToTheSingleTaskSums() {
        for (Aggregation agg : Aggregation.values()) {
            GrpoConfig c = config(agg);
            GrpoSums one = eval(c, task(0, 4, ALL)).sums();
            GrpoSums merged = eval(c, task(0, 2, ALL)).sums().plus(eval(c, task(2, 4, ALL)).sums());
            assertEquals(one.loss(), merged.loss(), TOL, agg.configName());
            assertEquals(one.normaliser(), merged.normaliser(), 0.0, agg.configName());
            assertEquals(one.meanLoss(), merged.meanLoss(), TOL, agg.configName());
            assertEquals(one.tokens(), merged.tokens());
            assertEquals(one.completions(), merged.completions());
            assertEquals(one.ratio(), merged.ratio(), TOL);
            assertEquals(one.clippedLow() + one.clippedHigh(), merged.clippedLow() + merged.clippedHigh());
        }
        // The per-task normalised losses do not average to the global one: only sums are additive.
        GrpoConfig c = config(Aggregation.TOKEN);
        double a = eval(c, task(0, 2, ALL)).sums().meanLoss(), b = eval(c, task(2, 4, ALL)).sums().meanLoss();
        assertEquals(1.8 / 5, a, TOL);
        assertEquals(-0.65 / 3, b, TOL);
        assertEquals(1.15 / 8, eval(c, task(0, 4, ALL)).sums().meanLoss(), TOL);
    }

    @Test
    void droppedCompletionsLeaveTheLossAndTheNormaliser() {
        boolean[] dropSecondGroup = {true, true, false, false};
        GrpoLoss.Terms t = eval(config(Aggregation.TOKEN), task(0, 4, dropSecondGroup));
        assertEquals(1.8 / 5, t.sums().meanLoss(), TOL);
        assertEquals(5, t.sums().tokens());
        assertEquals(2, t.sums().completions());
        GrpoBatch b = task(0, 4, dropSecondGroup).batch();
        for (int i = 2; i < 4; i++) {
            for (int k = 0; k < b.completionLength(i); k++) assertEquals(0.0, t.cellWeights()[b.firstCell(i) + k], 0.0);
        }
    }

    @Test
    void klTermAddsBetaTimesMeanK3() {
        double beta = 0.1;
        GrpoConfig c = with(config(Aggregation.TOKEN), "beta", beta);
        Task task = task(0, 4, ALL);
        double[] ref = task.lp().clone();
        double[] deltas = {-0.5, 0.7, 0, 0.2, -0.1, 0.3, 0.05, -0.4};
        double k3 = 0;
        int j = 0;
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < task.batch().completionLength(i); k++, j++) {
                ref[task.batch().firstCell(i) + k] += deltas[j];
                k3 += Math.exp(deltas[j]) - deltas[j] - 1;
            }
        }
        GrpoLoss.Terms t = GrpoLoss.evaluate(c, task.batch(), task.lp(), task.old(), ref, task.adv());
        assertEquals((1.15 + beta * k3) / 8, t.sums().meanLoss(), TOL);
        assertEquals(k3 / 8, t.sums().meanK3(), TOL);
        assertThrows(IllegalArgumentException.class,
                () -> GrpoLoss.evaluate(c, task.batch(), task.lp(), task.old(), null, task.adv()));
    }

    @Test
    void onPolicyMeansRatioOne() {
        Task task = task(0, 4, ALL);
        GrpoLoss.Terms t = GrpoLoss.evaluate(config(Aggregation.TOKEN), task.batch(), task.lp(), null, null, task.adv());
        // loss = −Σ_i L_i A_i / 8 = −(3 − 4.5 − 0.5 + 1) / 8
        assertEquals(1.0 / 8, t.sums().meanLoss(), TOL);
        assertEquals(1.0, t.sums().meanRatio(), 0.0);
        assertEquals(0.0, t.sums().clipFraction(), 0.0);
    }
}
