package org.atmanrl.reward.saliency;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mask network (docs/design.md 2.6): its gradient against central differences of the mask
 * objective in double precision, a zeroed head as the fitted mask's starting point, and the
 * scorer's sums as those of its rows.
 */
class MaskHeadTest {
    static final int[] P = {3, 2, 4}, N = {4, 3, 2}, A = {2, 3, 1};

    /** A head whose every parameter is a seeded draw, so that every term of theta is live. */
    static MaskHead randomHead(LlamaConfig c, int r, double theta0, long seed) {
        Map<String, long[]> shapes = MaskHead.shapes(c.hiddenSize(), r, features(c));
        SplittableRandom rng = new SplittableRandom(seed);
        String[] names = shapes.keySet().toArray(new String[0]);
        long[][] s = new long[names.length][];
        float[][] v = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            s[i] = shapes.get(names[i]);
            v[i] = new float[Math.toIntExact(NamedArrays.elements(s[i]))];
            for (int j = 0; j < v[i].length; j++) v[i][j] = (float) rng.nextDouble(-1, 1);
        }
        return MaskHead.of(new NamedArrays(names, s, v), theta0, DataType.DOUBLE);
    }

    @ParameterizedTest
    @EnumSource(SaliencyConfig.MaskObjective.class)
    void gradientMatchesFiniteDifferences(SaliencyConfig.MaskObjective objective) {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        ScoringRows rows = new ScoringRows(SaliencyFixtures.sequences(c, P, N, A), SaliencyFixtures.spans(P, N, A));
        SaliencyConfig config = with(SaliencyConfig.defaults(), "objective", objective);
        MaskFitter fitter = new MaskFitter(model, config);
        MaskHead head = randomHead(c, 3, -0.5, 7);
        INDArray cot = rows.cotMask(DataType.DOUBLE);
        MaskHead.Inputs in = inputs(model, rows, cot);
        INDArray theta = head.theta(in);
        Map<String, INDArray> analytic = head.gradient(in,
                fitter.gradient(rows, theta, cot, rows.inverseCotLengths(DataType.DOUBLE), null).thetaGradient());
        double h = 1e-5, worst = 0;
        int checked = 0;
        for (Map.Entry<String, INDArray> e : head.named().entrySet()) {
            INDArray p = e.getValue();
            INDArray flat = p.reshape(p.length());
            for (long j = 0; j < p.length(); j += Math.max(1, p.length() / 12)) {
                double at = flat.getDouble(j);
                flat.putScalar(j, at + h);
                double up = MaskGradientTest.objective(model, rows, head.theta(in), cot, config);
                flat.putScalar(j, at - h);
                double down = MaskGradientTest.objective(model, rows, head.theta(in), cot, config);
                flat.putScalar(j, at);
                double numeric = (up - down) / (2 * h);
                double a = analytic.get(e.getKey()).reshape(p.length()).getDouble(j);
                worst = Math.max(worst, Math.abs(numeric - a) / Math.max(1e-3, Math.abs(numeric)));
                checked++;
            }
        }
        assertTrue(checked > 30, "checked " + checked);
        assertTrue(worst < 1e-5, objective + ": worst relative error " + worst);
    }

    @Test
    void aNewHeadPredictsTheFittedMasksStartingPoint() {
        LlamaConfig c = TinyModels.mqaTied(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        List<int[]> seqs = SaliencyFixtures.sequences(c, P, N, A);
        List<CompletionSpans> spans = SaliencyFixtures.spans(P, N, A);
        SaliencyConfig start = new SaliencyConfig(0, 0.5, 1.5, 1, 1e-4, SaliencyConfig.MaskObjective.PRESERVATION,
                SaliencyConfig.RewardForm.N_TIMES_C, 0.5, 0.1, 64, SaliencyConfig.MaskSource.NETWORK, 4, 3e-3, 0, 16);
        List<SaliencyScore> fitted = new MaskFitter(model, start).score(seqs, spans).scores();
        MaskHead zeroed = MaskHead.of(NamedArrays.zeros(MaskHead.shapes(c.hiddenSize(), 4, features(c))), 1.5,
                DataType.DOUBLE);
        MaskHead fresh = MaskHead.init(c.hiddenSize(), 4, features(c), 1.5, 3, DataType.DOUBLE);
        for (MaskHead head : List.of(zeroed, fresh)) {
            List<SaliencyScore> net = new MaskNetworkScorer(model, start, head).score(seqs, spans, true).scores().scores();
            for (int i = 0; i < seqs.size(); i++) {
                assertArrayEquals(fitted.get(i).mask(), net.get(i).mask(), 1e-15, "row " + i);
                assertEquals(fitted.get(i).lFull(), net.get(i).lFull(), 1e-12);
                assertEquals(fitted.get(i).lNone(), net.get(i).lNone(), 1e-12);
                assertEquals(fitted.get(i).lMask(), net.get(i).lMask(), 1e-12);
                assertEquals(fitted.get(i).reward(), net.get(i).reward(), 1e-12);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SaliencyConfig.MaskObjective.class)
    void scorerSumsTheObjectiveAndGradientOfItsRowsWhateverThePasses(SaliencyConfig.MaskObjective objective) {
        ThreeRows f = ThreeRows.make();
        LlamaConfig c = f.c();
        LlamaModel model = f.model();
        List<int[]> seqs = f.seqs();
        List<CompletionSpans> spans = f.spans();
        SaliencyConfig config = with(SaliencyConfig.defaults().withMask(SaliencyConfig.MaskSource.NETWORK), "objective", objective);
        MaskHead head = randomHead(c, 3, 0.0, 9);
        MaskNetworkScorer.Batch all = new MaskNetworkScorer(model, config, head).score(seqs, spans, true);
        MaskNetworkScorer.Batch single = new MaskNetworkScorer(model, config.withMaxRowsPerPass(1), head)
                .score(seqs, spans, true);
        MaskNetworkScorer.Batch noGradient = new MaskNetworkScorer(model, config, head).score(seqs, spans, false);

        ScoringRows rows = new ScoringRows(seqs, spans);
        INDArray cot = rows.cotMask(DataType.DOUBLE);
        MaskHead.Inputs in = inputs(model, rows, cot);
        double expected = MaskGradientTest.objective(model, rows, head.theta(in), cot, config);
        assertEquals(expected, all.objectiveSum(), 1e-10);
        assertEquals(expected, single.objectiveSum(), 1e-10);
        assertEquals(expected, noGradient.objectiveSum(), 1e-10);
        assertEquals(3, all.rows());
        assertEquals(null, noGradient.gradientSums());
        for (int t = 0; t < all.gradientSums().size(); t++) {
            float[] a = all.gradientSums().values(t), b = single.gradientSums().values(t);
            for (int j = 0; j < a.length; j++) assertEquals(a[j], b[j], 1e-5 * Math.max(1, Math.abs(a[j])));
        }
        for (int i = 0; i < seqs.size(); i++) {
            assertArrayEquals(all.scores().scores().get(i).mask(), noGradient.scores().scores().get(i).mask(), 0);
            assertEquals(all.scores().scores().get(i).lMask(), noGradient.scores().scores().get(i).lMask(), 1e-12);
        }
    }

    /**
     * With {@code saliency.head_rows} (docs/design.md 2.6): the head's gradient and objective are
     * those of its training rows alone; every row still gets its mask, N, C and r_sal; S is NaN
     * where it was not measured, unless the reward uses it.
     */
    @ParameterizedTest
    @EnumSource(SaliencyConfig.RewardForm.class)
    void onlyTheTrainingRowsTrainTheHeadAndEveryRowIsScored(SaliencyConfig.RewardForm form) {
        for (SaliencyConfig.MaskObjective objective : SaliencyConfig.MaskObjective.values()) {
            onlyTheTrainingRowsTrainTheHead(form, objective);
        }
    }

    private static void onlyTheTrainingRowsTrainTheHead(SaliencyConfig.RewardForm form,
                                                        SaliencyConfig.MaskObjective objective) {
        ThreeRows f = ThreeRows.make();
        List<int[]> seqs = f.seqs();
        List<CompletionSpans> spans = f.spans();
        MaskNetworkScorer scorer = new MaskNetworkScorer(f.model(),
                with(SaliencyConfig.defaults().withMask(SaliencyConfig.MaskSource.NETWORK), "form", form,
                        "objective", objective),
                randomHead(f.c(), 3, 0.0, 11));
        MaskNetworkScorer.Batch sampled = scorer.score(seqs, spans, new boolean[] {true, false, true}, null, null);
        MaskNetworkScorer.Batch alone = scorer.score(List.of(seqs.get(0), seqs.get(2)), List.of(spans.get(0), spans.get(2)),
                true);
        MaskNetworkScorer.Batch full = scorer.score(seqs, spans, false);

        assertEquals(2, sampled.rows());
        assertEquals(alone.objectiveSum(), sampled.objectiveSum(), 1e-10);
        for (int t = 0; t < alone.gradientSums().size(); t++) {
            float[] a = alone.gradientSums().values(t), b = sampled.gradientSums().values(t);
            for (int j = 0; j < a.length; j++) assertEquals(a[j], b[j], 1e-6 * Math.max(1, Math.abs(a[j])));
        }
        for (int i = 0; i < 3; i++) {
            SaliencyScore got = sampled.scores().scores().get(i), want = full.scores().scores().get(i);
            assertArrayEquals(want.mask(), got.mask(), 1e-12);
            assertEquals(want.necessity(), got.necessity(), 1e-12);
            assertEquals(want.coverage(), got.coverage(), 1e-12);
            assertEquals(want.reward(), got.reward(), 1e-12);
            boolean measured = i != 1 || form == SaliencyConfig.RewardForm.S_TIMES_C;
            assertEquals(measured ? want.sufficiency() : Double.NaN, got.sufficiency(), 1e-12,
                    "row " + i + ", " + form + ", " + objective);
        }
    }

    @Test
    void trainingRowsAreEvenlySpaced() {
        assertArrayEquals(new boolean[] {true, false, true, false, false, true, false, true, false, false},
                MaskNetworkScorer.trainingRows(10, 4));
        assertArrayEquals(new boolean[] {true, true, true}, MaskNetworkScorer.trainingRows(3, 16));
        assertArrayEquals(new boolean[] {true, true, true}, MaskNetworkScorer.trainingRows(3, 0));
        assertArrayEquals(new boolean[0], MaskNetworkScorer.trainingRows(0, 4));
        SaliencyConfig d = SaliencyConfig.defaults();
        assertEquals(16, d.headRowsPerTask(2), "a step's 32 rows over 2 tasks");
        assertEquals(11, d.headRowsPerTask(3), "rounded up, so a step trains on at least head_rows");
        assertEquals(0, with(d, "headRows", 0).headRowsPerTask(4), "0 = every row, in every task");
    }

    /** The three fixture rows (prompt, CoT and answer lengths P, N, A) on a double-precision tiny model. */
    record ThreeRows(LlamaConfig c, LlamaModel model, List<int[]> seqs, List<CompletionSpans> spans) {
        static ThreeRows make() {
            LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
            return new ThreeRows(c, SaliencyFixtures.model(c, DataType.DOUBLE), SaliencyFixtures.sequences(c, P, N, A),
                    SaliencyFixtures.spans(P, N, A));
        }
    }

    static int features(LlamaConfig c) {
        return c.numHiddenLayers() * c.numAttentionHeads();
    }

    /** What the scorer hands the head: a kept unbiased pass's hidden states and scaled attention features. */
    static MaskHead.Inputs inputs(LlamaModel model, ScoringRows rows, INDArray cot) {
        DataType dt = model.dataType();
        try (ForwardPass fp = model.forward(rows.batch, null); INDArray q = rows.answerQueryWeights(dt);
             INDArray n = rows.rowLengthPerCell(dt)) {
            return new MaskHead.Inputs(fp.hidden().dup(), rows.delimiterCells(), fp.attentionFrom(q).muliColumnVector(n),
                    cot);
        }
    }

    /**
     * The attention features are probabilities: per row and per layer and head they add up to 1
     * over the keys (each answer query's attention sums to 1, weighted 1/|a|), and no key after the
     * last answer query gets any.
     */
    @Test
    void attentionFeaturesAreTheAnswersAttention() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.DOUBLE);
        ScoringRows rows = new ScoringRows(SaliencyFixtures.sequences(c, P, N, A), SaliencyFixtures.spans(P, N, A));
        try (ForwardPass fp = model.forward(rows.batch, null); INDArray q = rows.answerQueryWeights(DataType.DOUBLE)) {
            INDArray att = fp.attentionFrom(q);
            assertEquals(features(c), att.size(1));
            for (int r = 0; r < rows.rows; r++) {
                int lastQuery = rows.spans.get(r).answerEnd() - 2;
                for (int f = 0; f < features(c); f++) {
                    double sum = 0;
                    for (int k = 0; k < rows.length; k++) {
                        double v = att.getDouble((long) r * rows.length + k, f);
                        sum += v;
                        if (k > lastQuery) assertEquals(0, v, 1e-12, "row " + r + " key " + k);
                    }
                    assertEquals(1, sum, 1e-9, "row " + r + " feature " + f);
                }
            }
        }
    }

    @Test
    void anAuditAgainstMasksThatAreNeverFittedIsRefused() {
        SaliencyConfig network = SaliencyConfig.defaults().withMask(SaliencyConfig.MaskSource.NETWORK);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with(network, "steps", 0));
        assertTrue(e.getMessage().contains("saliency.audit_every 0"), e.getMessage());
    }

    @Test
    void parameterCountAndShapesAreChecked() {
        MaskHead h = MaskHead.init(128, 16, 16, 0, 1, DataType.FLOAT);
        assertEquals(6290, h.parameterCount());
        assertEquals(151_202, 3L * 16 * 3072 + 3072 + 28 * 24 + 2);
        NamedArrays wrong = NamedArrays.zeros(Map.of(MaskHead.QUERY, new long[] {2, 3}));
        assertThrows(IllegalArgumentException.class, () -> MaskHead.of(wrong, 0, DataType.FLOAT));
    }
}
