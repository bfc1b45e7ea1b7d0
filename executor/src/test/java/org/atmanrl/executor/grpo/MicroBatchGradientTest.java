package org.atmanrl.executor.grpo;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.atmanrl.executor.grpo.GrpoConfig.Aggregation;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code grpo.micro_batch_rows} (docs/design.md 6.1): a task's gradient in consecutive row ranges,
 * each padded to its own longest row, equals the one-pass gradient up to rounding (1e-10 relative
 * in double) for ranges that do and do not divide the rows, on-policy against the shared forward
 * pass and with old log-probabilities, with a KL term and every aggregation; the group counts
 * enter once; and the ranges are added left to right, the same bits on every run.
 */
class MicroBatchGradientTest {
    static final int G = 2;
    /** Four groups of two: one with zero variance, rows of different lengths so that ranges pad less. */
    static final double[] REWARDS = {1, 0, 0.3, 0.3, 0.5, 0.2, 0, 1};
    static final int[] PROMPTS = {3, 3, 2, 2, 5, 5, 1, 1}, COMPLETIONS = {4, 1, 6, 2, 3, 3, 2, 5};
    static final double TOLERANCE = 1e-10;

    static GrpoBatch batch(LlamaConfig c) {
        return GrpoBatch.of(TinyModels.sequences(c.vocabSize(), 1, PROMPTS),
                TinyModels.sequences(c.vocabSize(), 2, COMPLETIONS));
    }

    /** {@code lp} moved by a fixed amount per completion token: old or reference log-probs with {@code ρ != 1}. */
    static double[] perturbed(GrpoBatch batch, double[] lp, double scale, int phase) {
        double[] out = lp.clone();
        for (int i = 0; i < batch.completions(); i++) {
            for (int k = 0; k < batch.completionLength(i); k++) {
                out[batch.firstCell(i) + k] += scale * Math.sin(7 * i + 3 * k + phase);
            }
        }
        return out;
    }

    @Test
    void rangesGiveTheOnePassGradientForEveryAggregationOnAndOffPolicy() {
        for (LlamaConfig c : List.of(TinyModels.gqaUntiedScaled(0.3), TinyModels.mqaTied(0.3))) {
            LlamaModel model = new LlamaModel(TinyModels.weights(c, 3, DataType.DOUBLE));
            GrpoBatch batch = batch(c);
            double[] lp = GrpoGradient.logProbs(model, batch);
            double[] old = perturbed(batch, lp, 0.3, 0), ref = perturbed(batch, lp, 0.5, 1);
            for (Aggregation agg : Aggregation.values()) {
                for (boolean onPolicy : new boolean[] {true, false}) {
                    GrpoConfig one = with(GrpoConfig.defaults(), "groupSize", G, "beta", 0.04, "maxCompletionLength", 6,
                            "aggregation", agg, "mu", onPolicy ? 1 : 2, "dropZeroVarianceGroups", agg == Aggregation.SEQUENCE);
                    Advantages adv = Advantages.compute(REWARDS, one);
                    double[] oldOrNull = onPolicy ? null : old;
                    // on-policy, the one-pass gradient is the shared forward pass's (docs/design.md 2.6)
                    try (GrpoGradient.Sums whole = GrpoGradient.sums(model.forward(batch.tokens(), null), one, batch,
                            adv, oldOrNull, ref)) {
                        for (int rows : new int[] {1, 2, 3, 8, 20}) {
                            GrpoConfig micro = with(one, "microBatchRows", rows);
                            try (GrpoGradient.Sums parts = GrpoGradient.sums(model, micro, batch, adv, oldOrNull, ref)) {
                                String what = agg.configName() + (onPolicy ? " mu 1" : " mu 2") + ", " + rows + " rows";
                                assertSameSums(whole.sums(), parts.sums(), what);
                                assertClose(whole.gradients().weights(), parts.gradients().weights(), what);
                            }
                        }
                    }
                }
            }
            model.weights().close();
        }
    }

    static void assertSameSums(GrpoSums a, GrpoSums b, String what) {
        assertEquals(a.normaliser(), b.normaliser(), 0.0, what + ": the normaliser is the whole batch's");
        assertEquals(a.tokens(), b.tokens(), what);
        assertEquals(a.completions(), b.completions(), what);
        assertEquals(a.groups(), b.groups(), what + ": groups counted once");
        assertEquals(a.zeroVarianceGroups(), b.zeroVarianceGroups(), what);
        assertEquals(a.droppedGroups(), b.droppedGroups(), what);
        assertEquals(a.clippedLow(), b.clippedLow(), what);
        assertEquals(a.clippedHigh(), b.clippedHigh(), what);
        assertEquals(a.loss(), b.loss(), TOLERANCE * Math.abs(a.loss()), what + ": loss");
        assertEquals(a.ratio(), b.ratio(), TOLERANCE * Math.abs(a.ratio()), what + ": ratio");
        assertEquals(a.k3(), b.k3(), TOLERANCE * Math.abs(a.k3()), what + ": k3");
    }

    /** Every tensor within {@link #TOLERANCE} of its largest entry. */
    static void assertClose(LlamaWeights a, LlamaWeights b, String what) {
        Iterator<INDArray> other = b.named().values().iterator();
        for (var e : a.named().entrySet()) {
            double[] x = e.getValue().data().asDouble(), y = other.next().data().asDouble();
            double scale = 0;
            for (double v : x) scale = Math.max(scale, Math.abs(v));
            assertTrue(scale > 0, what + ": " + e.getKey() + " has a gradient");
            assertArrayEquals(x, y, TOLERANCE * scale, what + ": " + e.getKey());
        }
    }

    @Test
    void logProbsInRangesAreTheOnePassLogProbs() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 3, DataType.DOUBLE));
        GrpoBatch batch = batch(c);
        double[] whole = GrpoGradient.logProbs(model, batch);
        for (int rows : new int[] {1, 3, 8}) {
            double[] parts = GrpoGradient.logProbs(model, batch,
                    with(GrpoConfig.defaults(), "groupSize", G, "microBatchRows", rows));
            assertArrayEquals(whole, parts, 1e-12, rows + " rows: every cell, padding 0");
        }
        model.weights().close();
    }

    @Test
    void aRangeIsPaddedToItsOwnLongestRowAndKeepsItsCells() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        GrpoBatch batch = batch(c);
        GrpoBatch part = batch.rows(6, 8); // prompts 1, completions 2 and 5: 5 cells a row, not the batch's 7
        assertEquals(7, batch.tokens().length());
        assertEquals(5, part.tokens().length());
        double[] cells = new double[batch.cells()];
        for (int i = 0; i < cells.length; i++) cells[i] = i;
        double[] cut = batch.cellsOfPart(cells, 6, part);
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(batch.completionValues(cells, 6 + r), part.completionValues(cut, r), 0.0);
        }
        double[] back = new double[batch.cells()];
        batch.putPart(cut, part, 6, back);
        for (int i = 0; i < back.length; i++) {
            boolean inPart = i >= 6 * 7 && i % 7 < 5;
            assertEquals(inPart ? cells[i] : 0, back[i], 0.0, "cell " + i);
        }
    }

    /**
     * In float, where addition does not associate: the ranges' gradients are added as
     * {@code (g[0,3) + g[3,6)) + g[6,8)}, computed here range by range, bit for bit, and a rerun
     * gives the same bits.
     */
    @Test
    void rangesAreAddedLeftToRightAndARerunGivesTheSameBits() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = new LlamaModel(TinyModels.weights(c, 3, DataType.FLOAT));
        GrpoBatch batch = batch(c);
        GrpoConfig config = with(GrpoConfig.defaults(), "groupSize", G, "mu", 2, "microBatchRows", 3);
        Advantages adv = Advantages.compute(REWARDS, config);
        double[] old = perturbed(batch, GrpoGradient.logProbs(model, batch, config), 0.3, 0);
        GradientContribution first = GrpoGradient.compute(model, config, batch, adv, old, null);
        GradientContribution again = GrpoGradient.compute(model, config, batch, adv, old, null);
        LlamaWeights byHand = null;
        for (int from = 0; from < 8; from += 3) {
            GrpoBatch part = batch.rows(from, Math.min(8, from + 3));
            try (ForwardPass fp = model.forward(part.tokens(), null)) {
                GrpoLoss.Terms t = GrpoLoss.evaluate(config, part, fp.logProbs(), batch.cellsOfPart(old, from, part),
                        null, adv, from, from == 0);
                Gradients g = fp.backward(t.cellWeights(), true, false);
                if (byHand == null) {
                    byHand = g.weights();
                } else {
                    Iterator<INDArray> p = g.weights().named().values().iterator();
                    for (INDArray s : byHand.named().values()) s.addi(p.next());
                    g.close();
                }
            }
        }
        GradientContribution expected = GradientContribution.of(config.aggregation(), byHand, first.sums());
        for (int t = 0; t < first.names().size(); t++) {
            assertTrue(Arrays.equals(expected.gradientSum(t), first.gradientSum(t)), first.names().get(t)
                    + " is ((g0 + g1) + g2)");
            assertTrue(Arrays.equals(first.gradientSum(t), again.gradientSum(t)), "a rerun gives the same bits");
        }
        assertEquals(first.sums().toString(), again.sums().toString());
        byHand.close();
        model.weights().close();
    }
}
