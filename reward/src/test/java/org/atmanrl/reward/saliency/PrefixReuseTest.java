package org.atmanrl.reward.saliency;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The mask fit with the prompt prefix computed once (docs/design.md 2.2, "Prefix reuse") against
 * the fit whose every pass runs over the whole sequences, on a random fp32 model: same masks and
 * likelihoods up to float rounding; and the same call twice gives the same bits.
 */
class PrefixReuseTest {
    /**
     * Prompt, CoT, delimiter and answer lengths per row. Row 1 has no CoT and no delimiter, so its
     * first answer cell (5) ends the prefix, one cell before its prompt does; row 4 has the
     * longest prompt and, with 2 rows per pass, a pass of its own with a prefix of 14 cells.
     */
    static final int[][] ROWS = {{9, 5, 2, 2}, {6, 0, 0, 3}, {12, 4, 2, 2}, {7, 6, 1, 1}, {14, 3, 2, 2}};
    static final double MASK_TOLERANCE = 1e-4;
    static final double LOG_LIKELIHOOD_TOLERANCE = 1e-4;

    @Test
    void scoresEqualThoseOfFullPasses() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.FLOAT);
        assertEquals(5, new ScoringRows(sequences(c), spans()).unbiasedPrefixLength());
        for (SaliencyConfig config : List.of(SaliencyConfig.defaults().withMaxRowsPerPass(2),
                with(SaliencyConfig.defaults(), "steps", 3, "objective", SaliencyConfig.MaskObjective.DELETION))) {
            List<SaliencyScore> reused = new MaskFitter(model, config).score(sequences(c), spans()).scores();
            List<SaliencyScore> full = MaskFitter.withoutPrefixReuse(model, config).score(sequences(c), spans()).scores();
            for (int i = 0; i < ROWS.length; i++) {
                SaliencyScore a = reused.get(i), b = full.get(i);
                String row = config.objective() + " row " + i;
                assertEquals(ROWS[i][1], a.mask().length, row);
                for (int j = 0; j < a.mask().length; j++) {
                    assertEquals(b.mask()[j], a.mask()[j], MASK_TOLERANCE, row + " token " + j);
                }
                assertEquals(b.lFull(), a.lFull(), LOG_LIKELIHOOD_TOLERANCE, row + " l_full");
                assertEquals(b.lNone(), a.lNone(), LOG_LIKELIHOOD_TOLERANCE, row + " l_none");
                assertEquals(b.lMask(), a.lMask(), LOG_LIKELIHOOD_TOLERANCE, row + " l_mask");
            }
        }
    }

    @Test
    void theSameCallTwiceGivesTheSameBits() {
        LlamaConfig c = TinyModels.mqaTied(0.3);
        LlamaModel model = SaliencyFixtures.model(c, DataType.FLOAT);
        MaskFitter fitter = new MaskFitter(model, with(SaliencyConfig.defaults(), "steps", 4));
        List<SaliencyScore> first = fitter.score(sequences(c), spans()).scores();
        List<SaliencyScore> second = fitter.score(sequences(c), spans()).scores();
        for (int i = 0; i < ROWS.length; i++) {
            SaliencyScore a = first.get(i), b = second.get(i);
            assertArrayEquals(a.mask(), b.mask(), "row " + i);
            assertArrayEquals(new double[] {a.lFull(), a.lNone(), a.lMask()}, new double[] {b.lFull(), b.lNone(), b.lMask()},
                    "row " + i);
        }
    }

    static List<int[]> sequences(LlamaConfig c) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < ROWS.length; i++) {
            int[] r = ROWS[i];
            out.add(TinyModels.tokens(c.vocabSize(), r[0] + r[1] + r[2] + r[3], 300 + i));
        }
        return out;
    }

    static List<CompletionSpans> spans() {
        List<CompletionSpans> out = new ArrayList<>();
        for (int[] r : ROWS) {
            out.add(new CompletionSpans(r[0], r[0] + r[1], r[0] + r[1] + r[2], r[0] + r[1] + r[2] + r[3]));
        }
        return out;
    }
}
