package org.atmanrl.executor.eval;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A whole task step with the mask network (docs/design.md 2.6) and {@code grpo.micro_batch_rows}
 * below the task's rows (docs/design.md 6.1), on {@link ConstructedModels}' COPIER: the gradient's
 * forward pass is not kept (its micro-batches run later), so the mask network scores the correct
 * completions with passes of its own; rewards, the head's sums and the gradient are those of the
 * step that shares one pass, within float rounding.
 */
class MicroBatchTaskStepTest extends OnConstructedModels {
    record Step(TaskStep.Prepared prepared, TaskResult result) {
    }

    static Step step(int microBatchRows) {
        // Qa is answered right when sampled greedily and Qd wrong (the copier answers 3); sampling at
        // 1.3 gives Qa's group reward spread and three correct completions for the mask network
        List<Problem> problems = List.of(FaithfulnessTest.problem("p0", "Qa", "7"),
                FaithfulnessTest.problem("p1", "Qd", "5"), FaithfulnessTest.problem("p2", "Qg", "0"));
        GrpoConfig grpo = with(GrpoConfig.defaults(), "groupSize", 4, "maxCompletionLength", 8,
                "microBatchRows", microBatchRows);
        SaliencyConfig saliency = SaliencyConfig.defaults().withMask(SaliencyConfig.MaskSource.NETWORK);
        int stop = CharTokenizerFiles.END_OF_TEXT_ID;
        RolloutScoring scoring = new RolloutScoring(grpo, saliency, true,
                new SamplingParams(1.3, 1.0, 0, 8, new int[] {stop}), 64, 1);
        var model = FaithfulnessTest.copier;
        try (MaskHead head = MaskHead.init(model.config().hiddenSize(), saliency.headRank(),
                model.config().numHiddenLayers() * model.config().numAttentionHeads(), saliency.theta0(), 3,
                DataType.FLOAT)) {
            TaskStep.Prepared p = TaskStep.prepare(model, head, null, FaithfulnessTest.tokenizer, stop, scoring,
                    problems, 7, 0);
            boolean kept = p.scored().policyForward() != null;
            TaskResult r = TaskStep.gradient(model, grpo, p, true);
            assertEquals(microBatchRows == 0, kept, "the forward pass is kept only when the task runs in one pass");
            return new Step(p, r);
        }
    }

    @Test
    void theMaskNetworkScoresItsRowsAndTheStepMatchesTheOnePassStep() {
        Step one = step(0), micro = step(5); // twelve rows: ranges of 5, 5 and 2
        assertEquals(one.prepared().scored().completions().size(), 12);
        for (int i = 0; i < 12; i++) {
            assertArrayEquals(one.prepared().scored().completions().get(i), micro.prepared().scored().completions().get(i));
        }
        long scored = one.prepared().scored().saliency().stream().filter(java.util.Objects::nonNull).count();
        assertTrue(scored > 0, "the fixture needs correct completions for the mask network");
        for (int i = 0; i < 12; i++) {
            assertEquals(one.prepared().scored().saliency().get(i) == null, micro.prepared().scored().saliency().get(i) == null,
                    "completion " + i + " is scored in both or neither");
        }
        assertArrayEquals(one.prepared().scored().rewards(), micro.prepared().scored().rewards(), 1e-5);
        assertTrue(one.prepared().scored().advantages().zeroVarianceGroups() < 3, "the fixture needs reward spread");

        assertNotNull(one.result().head());
        assertEquals(one.result().head().rows(), micro.result().head().rows());
        assertEquals(one.result().head().objectiveSum(), micro.result().head().objectiveSum(),
                1e-5 * Math.abs(one.result().head().objectiveSum()));
        GradientContribution a = one.result().gradient(), b = micro.result().gradient();
        assertEquals(a.sums().normaliser(), b.sums().normaliser(), 0.0);
        assertEquals(a.sums().groups(), b.sums().groups());
        float largest = 0;
        for (int t = 0; t < a.names().size(); t++) {
            float[] x = a.gradientSum(t), y = b.gradientSum(t);
            float scale = 0;
            for (float v : x) scale = Math.max(scale, Math.abs(v));
            assertArrayEquals(x, y, 1e-4f * scale, a.names().get(t));
            largest = Math.max(largest, scale);
        }
        assertTrue(largest > 0, "the step has a gradient");
        assertNull(micro.prepared().scored().policyForward(), "nothing kept to close");
    }
}
