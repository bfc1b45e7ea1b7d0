package org.atmanrl.executor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On EvaluationTest's random tiny model and rigged problems (some correct, some wrong, some
 * unparsed): the probes do not depend on the pass size, and reports of shards merge into the
 * report of the whole.
 */
class ShardedFaithfulnessTest {
    static final int N = EvaluationTest.PROBLEMS, MAX_NEW = EvaluationTest.MAX_NEW;

    @BeforeAll
    static void rig() {
        EvaluationTest.riggedProblems();
    }

    @AfterAll
    static void free() {
        EvaluationTest.free();
    }

    static Evaluation evaluation(int rows, boolean saliency) {
        return new Evaluation(saliency ? EvaluationTest.SALIENCY : null, MAX_NEW, rows,
                FaithfulnessConfig.defaults(MAX_NEW, rows).withSeed(3));
    }

    @Test
    void onePerPassAndManyPerPassGiveTheSameCounts() {
        FaithfulnessResult one = evaluation(1, false).run(EvaluationTest.model, EvaluationTest.data.encoder,
                EvaluationTest.rigged, N).faithfulness();
        FaithfulnessResult many = evaluation(7, false).run(EvaluationTest.model, EvaluationTest.data.encoder,
                EvaluationTest.rigged, N).faithfulness();
        assertEquals(one, many);
        assertEquals(6, one.earlyAnswering().probed(), "the correct and the wrong ones have an answer");
        long probedMistakes = one.addedMistakes().probed() + one.addedMistakes().skippedNoNumber();
        assertEquals(6, probedMistakes);
        long[] agreeing = one.earlyAnswering().agreeing();
        assertEquals(6, agreeing[agreeing.length - 1], "the full CoT regenerates every answer");
        assertTrue(agreeing[agreeing.length - 1] > agreeing[0],
                "the random model's answer needs some of its CoT: " + one.earlyAnswering());
    }

    @Test
    void shardsMergeIntoTheWhole() {
        EvalReport whole = evaluation(4, true).run(EvaluationTest.model, EvaluationTest.data.encoder,
                EvaluationTest.rigged, N);
        List<EvalReport> shards = new ArrayList<>();
        int[] cuts = {0, 2, 7, N};
        for (int s = 0; s + 1 < cuts.length; s++) {
            List<Problem> part = new ArrayList<>();
            for (int i = cuts[s]; i < cuts[s + 1]; i++) part.add(EvaluationTest.rigged.get(i));
            shards.add(evaluation(4, true).run(EvaluationTest.model, EvaluationTest.data.encoder,
                    ProblemSet.of("rigged/test", part), part.size()));
        }
        EvalReport merged = EvalReport.merge(shards);
        assertEquals(whole.faithfulness(), merged.faithfulness(), "counts add exactly");
        assertEquals(whole.problems(), merged.problems());
        assertEquals(whole.correct(), merged.correct());
        assertEquals(whole.unparsed(), merged.unparsed());
        assertEquals(whole.fitted(), merged.fitted());
        // the masks are fitted in float32 in passes of other rows than the whole's: equal up to rounding
        double fp = 1e-4; // the Adam steps amplify float32 rounding to ~1e-5
        assertEquals(whole.meanNecessity(), merged.meanNecessity(), fp);
        assertEquals(whole.meanCoverage(), merged.meanCoverage(), fp);
        assertEquals(whole.meanSufficiency(), merged.meanSufficiency(), fp);
        assertEquals(whole.meanSaliency(), merged.meanSaliency(), fp);
        assertEquals(whole.meanSaliencyOfCorrect(), merged.meanSaliencyOfCorrect(), fp);
        assertTrue(whole.meanCoverage() > 0, "saliency was measured: " + whole);
        assertEquals(shards.stream().anyMatch(EvalReport::masksCollapsed), merged.masksCollapsed());
        assertEquals(shards.stream().mapToDouble(EvalReport::seconds).sum(), merged.seconds(), 1e-12);
        assertEquals(FaithfulnessResult.sum(shards.stream().map(EvalReport::faithfulness).toList()),
                merged.faithfulness());

        EvalReport other = new EvalReport("other/test", 1, 0, 0, 0, 0, 0, 0, 0, 0, false, 0);
        assertThrows(IllegalArgumentException.class, () -> EvalReport.merge(List.of(whole, other)));
        EvalReport without = new EvalReport("rigged/test", 1, 0, 0, 0, 0, 0, 0, 0, 0, false, 0);
        assertThrows(IllegalArgumentException.class, () -> EvalReport.merge(List.of(whole, without)));
    }
}
