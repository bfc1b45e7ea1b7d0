package org.atmanrl.driver.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoSums;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.NamedArrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The one policy update path that the Spark driver and the one-process run share. */
class PolicyStepTest {

    private static Map<String, INDArray> params() {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put("a", Nd4j.create(new float[] {1f, 2f, 3f}, new long[] {3}, DataType.FLOAT));
        p.put("b", Nd4j.create(new float[] {-1f, 0.5f}, new long[] {1, 2}, DataType.FLOAT));
        return p;
    }

    /** Task results whose gradient sums are {@code scale} times fixed values, over 8 tokens. */
    private static TaskResult sums(float scale, double reward) {
        float[][] g = {{1.5f * scale, -2f * scale, 0.25f * scale}, {3f * scale, 4f * scale}};
        GradientContribution gc = new GradientContribution(GrpoConfig.Aggregation.TOKEN,
                new NamedArrays(new String[] {"a", "b"}, new long[][] {{3}, {1, 2}}, g), new GrpoSums(1.25, 8, 8, 2, 7.5, 0.5, 1, 2, 1, 0, 0));
        RolloutMetrics m = new RolloutMetrics(2, 1, 2, reward, 2.25, 30, 1, 0.9, 0.2, 0.8, 1, 0.2, 0, 1,
                new CotUseCounts(2, 2, 1, 1, 1, 1, 1, 1, 0, 1, 1));
        return new TaskResult(gc, m, new StepTimings(1, 2, 3), 6.5, 1, false);
    }

    private static float[] flat(Map<String, INDArray> p) {
        return Nd4j.toFlattened(p.get("a"), p.get("b")).toFloatVector();
    }

    @Test
    void everyUpdateOfAStepIsAppliedAtItsScheduledRate() {
        Map<String, INDArray> p = params();
        float[] before = flat(p);
        LearningRateSchedule schedule = LearningRateSchedule.constant(0.1, 0);
        PolicyUpdate update = new PolicyUpdate(new AdamW(new AdamW.Config(0.9, 0.999, 1e-8, 0, AdamW.DecayScope.ALL), p),
                schedule, 1.0, 1);
        List<Integer> asked = new ArrayList<>();
        PolicyStep.Result r = PolicyStep.run(2, 3, u -> {
            asked.add(u);
            return sums(u + 1, u == 0 ? 1.5 : 9.0);
        }, null, update);
        assertEquals(List.of(0, 1), asked);
        assertFalse(r.skipped());
        assertNotEquals(before[0], flat(p)[0], "the weights moved");
        assertEquals(sums(1, 1.5).metrics().meanReward(), r.rollouts().metrics().meanReward(), 1e-12,
                "metrics of the rollouts, the first update's");
        assertEquals(2 * 6.0, r.rollouts().timings().total(), 1e-12, "task times of both updates");
        assertTrue(r.update().clip().clipped(), "the second update's gradient (norm > 1) was clipped");
    }

    @Test
    void aNonFiniteGradientSkipsTheUpdateAndEndsTheStep() {
        Map<String, INDArray> p = params();
        float[] before = flat(p);
        PolicyUpdate update = new PolicyUpdate(new AdamW(new AdamW.Config(0.9, 0.999, 1e-8, 0.1, AdamW.DecayScope.ALL), p),
                LearningRateSchedule.constant(0.1, 0), 1.0, 1);
        List<Integer> asked = new ArrayList<>();
        PolicyStep.Result r = PolicyStep.run(3, 0, u -> {
            asked.add(u);
            return sums(1, 1);
        }, g -> g.gradients()[1][0] = Float.NaN, update);
        assertTrue(r.skipped());
        assertEquals(List.of(0), asked, "no update after a skipped one");
        assertArrayEquals(before, flat(p), "weights as they were, weight decay included");
    }

    @Test
    void aRunStopsAfterMoreThanMaxSkippedStepsInARow() {
        SkipStreak s = SkipStreak.none(2).after(true).after(true);
        assertEquals(2, s.inARow());
        assertFalse(s.exceeded());
        assertEquals(0, s.after(false).inARow(), "a good step ends the streak");
        SkipStreak stop = s.after(true);
        assertTrue(stop.exceeded());
        assertEquals("stopped at step 5: 3 steps in a row (steps 3-5) had a NaN or infinite gradient, more than"
                + " optimizer.max_skipped_steps 2; their updates were skipped, so the weights and optimizer are those"
                + " after step 2", stop.stopMessage(4));
        assertTrue(SkipStreak.none(0).after(true).stopMessage(0).contains("(step 1)") );
        assertTrue(SkipStreak.none(0).after(true).stopMessage(0).endsWith("the starting ones"));
    }
}
