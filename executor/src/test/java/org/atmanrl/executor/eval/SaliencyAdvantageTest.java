package org.atmanrl.executor.eval;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.executor.grpo.Advantages;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.task.CorrectCompletionSaliency;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;
import org.junit.jupiter.api.Test;

/**
 * How alpha acts on a group whose completions are all correct (docs/design.md, "Showing the
 * method's effect"): end to end from completions through the AtMan mask fit on {@link
 * ConstructedModels}' COPIER, the reward and the group advantages. The group is two correct
 * completions of {@code Qa} (reference 7) that differ in how much of their CoT is decoration:
 * {@code bc7\n=7} (the answer reads one of four CoT tokens) and {@code c7\n=7} (one of three). Both
 * answers depend on the CoT (the copier answers 0 without it), so N is about 1 for both and C
 * about 1/4 and 1/3: r_sal differs, r_out does not. With alpha 0 the group has no spread and no
 * advantage; with alpha > 0 the completion whose CoT the answer uses more gets the positive one.
 */
class SaliencyAdvantageTest extends OnConstructedModels {
    @Test
    void alphaTurnsTheSaliencySpreadOfAnAllCorrectGroupIntoAdvantagesAndZeroAlphaDoesNot() {
        Problem p = FaithfulnessTest.problem("g0", "Qa", "7");
        List<int[]> completions = new ArrayList<>();
        List<Verdict> verdicts = new ArrayList<>();
        for (String text : List.of("bc7\n=7", "c7\n=7")) {
            int[] ids = FaithfulnessTest.tokenizer.encode(text);
            int[] withStop = java.util.Arrays.copyOf(ids, ids.length + 1);
            withStop[ids.length] = CharTokenizerFiles.END_OF_TEXT_ID;
            completions.add(withStop);
            verdicts.add(p.verify(text));
        }
        assertTrue(verdicts.get(0).correct() && verdicts.get(1).correct(), "an all-correct group");
        SaliencyConfig config = with(SaliencyConfig.defaults(), "steps", 16, "learningRate", 1.5);
        List<SaliencyScore> scores = CorrectCompletionSaliency.fit(FaithfulnessTest.copier, config,
                FaithfulnessTest.tokenizer, List.of(p), 2, completions, verdicts).perCompletion();
        assertTrue(scores.get(0).necessity() > 0.9 && scores.get(1).necessity() > 0.9,
                "both answers need the CoT: N " + scores.get(0).necessity() + ", " + scores.get(1).necessity());
        assertTrue(scores.get(1).reward() > scores.get(0).reward(), "less decoration, more coverage: r_sal "
                + scores.get(0).reward() + " < " + scores.get(1).reward());

        GrpoConfig grpo = with(GrpoConfig.defaults(), "groupSize", 2);
        Advantages none = Advantages.compute(RolloutScoring.rewards(verdicts, scores, 0), grpo);
        assertArrayEquals(new double[] {0, 0}, none.values(), "alpha 0: all correct, no spread, no advantage");
        assertEquals(1, none.zeroVarianceGroups());

        Advantages some = Advantages.compute(RolloutScoring.rewards(verdicts, scores, 0.5), grpo);
        assertEquals(0, some.zeroVarianceGroups());
        assertTrue(some.value(1) > 0.5 && some.value(0) < -0.5,
                "alpha 0.5: group scaling makes the r_sal spread unit-scale advantages, got "
                        + java.util.Arrays.toString(some.values()));
    }
}
