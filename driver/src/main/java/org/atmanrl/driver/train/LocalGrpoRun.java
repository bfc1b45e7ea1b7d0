package org.atmanrl.driver.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.GradientClipping;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.rollout.Accuracy;
import org.atmanrl.executor.rollout.GreedyEvaluation;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.ScoredRollouts;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.atmanrl.reward.task.Problem;
import org.atmanrl.reward.task.ProblemSet;
import org.atmanrl.reward.task.PromptEncoder;

/**
 * AtManRL GRPO in one process: per step, B prompts (a pure function of seed and step), their
 * rollouts scored and their gradient ({@link TaskStep}), global-norm clipping and AdamW ({@code
 * mu} updates on the same rollouts). The Spark service runs the same {@link TaskStep} on its
 * executors and this loop's optimizer part on the driver.
 */
public final class LocalGrpoRun {
    /** Everything the run needs besides the model and data. */
    public record Settings(int steps, int promptsPerStep, RolloutScoring scoring, LearningRateSchedule schedule,
                           AdamW.Config adam, double clipNorm, int evalEvery, int evalSize, int evalMaxTokens,
                           long seed) {
    }

    /** One step's line of the log. */
    public record StepLog(int step, RolloutMetrics rollouts, Map<String, Double> loss, double gradNorm, double lr,
                          StepTimings timings, boolean masksCollapsed, Accuracy testAccuracy) {
    }

    private final Settings settings;
    private final PromptEncoder encoder;

    public LocalGrpoRun(Settings settings, PromptEncoder encoder) {
        this.settings = settings;
        this.encoder = encoder;
    }

    /** Trains {@code policy} in place; {@code reference} is needed only when beta > 0. */
    public List<StepLog> train(LlamaWeights policy, LlamaWeights reference, ProblemSet train, ProblemSet test,
                               java.util.function.Consumer<StepLog> listener) {
        GrpoConfig grpo = settings.scoring().grpo();
        if (grpo.needsReference() && reference == null) {
            throw new IllegalArgumentException("beta > 0 needs a reference model");
        }
        LlamaModel model = new LlamaModel(policy);
        LlamaModel ref = reference == null ? null : new LlamaModel(reference);
        AdamW adam = new AdamW(settings.adam(), policy.named());
        List<StepLog> log = new ArrayList<>();
        Accuracy initial = evaluate(model, test);
        listener.accept(new StepLog(0, RolloutMetrics.ZERO, Map.of(), 0, 0, new StepTimings(0, 0, 0), false, initial));
        for (int step = 0; step < settings.steps(); step++) {
            List<Problem> problems = new ArrayList<>();
            for (int i = 0; i < settings.promptsPerStep(); i++) {
                problems.add(train.draw(settings.seed(), step, i));
            }
            TaskStep.Prepared prepared = TaskStep.prepare(model, null, ref, encoder.tokenizer(), encoder.stopToken(),
                    settings.scoring(), problems, settings.seed(), step);
            ScoredRollouts scored = prepared.scored();
            NormalisedGradient last = null;
            double norm = 0;
            StepTimings timings = new StepTimings(0, 0, 0);
            for (int update = 0; update < grpo.mu(); update++) {
                TaskResult r = TaskStep.gradient(model, grpo, prepared, update == 0);
                timings = timings.plus(r.timings());
                last = r.gradient().normalise();
                GradientClipping.Result clip = GradientClipping.clip(last.gradients(), settings.clipNorm());
                if (!clip.finite()) {
                    throw new IllegalStateException("GRPO step " + (step + 1) + ": gradient norm " + clip.norm()
                            + "; stopping before the weights are touched");
                }
                norm = clip.norm();
                Map<String, INDArray> g = last.toArrays(DataType.FLOAT);
                adam.step(g, settings.schedule().at((long) step * grpo.mu() + update));
                g.values().forEach(INDArray::close);
            }
            boolean evalNow = (step + 1) % settings.evalEvery() == 0 || step == settings.steps() - 1;
            StepLog entry = new StepLog(step + 1, scored.metrics(), last.metrics(grpo.needsReference()), norm,
                    settings.schedule().at((long) step * grpo.mu()), timings, scored.masksCollapsed(),
                    evalNow ? evaluate(model, test) : null);
            log.add(entry);
            listener.accept(entry);
        }
        return log;
    }

    private Accuracy evaluate(LlamaModel model, ProblemSet test) {
        return GreedyEvaluation.accuracy(model, encoder.tokenizer(), test, settings.evalSize(), settings.evalMaxTokens(),
                encoder.stopToken(), 256);
    }

    /** The step log as JSON, TRL-style metric names where there is one. */
    public static ObjectNode toJson(ObjectMapper json, StepLog s) {
        ObjectNode o = json.createObjectNode();
        o.put("step", s.step());
        RolloutMetrics r = s.rollouts();
        if (r.completions() > 0) {
            o.put("reward", r.meanReward()).put("accuracy", r.accuracy()).put("r_sal", r.meanSaliency())
                    .put("necessity", r.meanNecessity()).put("coverage", r.meanCoverage())
                    .put("sufficiency", r.meanSufficiency()).put("fitted", r.fitted())
                    .put("unparsed", r.completions() - r.parsed()).put("completion_length", r.meanLength())
                    .put("zero_std_groups", r.zeroVarianceGroups()).put("grad_norm", s.gradNorm()).put("lr", s.lr())
                    .put("masks_collapsed", s.masksCollapsed());
            s.loss().forEach(o::put);
            StepTimings t = s.timings();
            o.put("seconds/generation", t.generation()).put("seconds/saliency", t.saliency())
                    .put("seconds/gradient", t.gradient()).put("saliency_share", t.saliency() / t.total());
        }
        if (s.testAccuracy() != null) {
            o.put("test_accuracy", s.testAccuracy().value());
        }
        return o;
    }

    /** A one-line progress report. */
    public static void print(PrintWriter err, int steps, StepLog s) {
        RolloutMetrics r = s.rollouts();
        if (r.completions() > 0) {
            StepTimings t = s.timings();
            err.printf("grpo: step %d/%d reward %.3f acc %.3f r_sal %.4f N %.3f C %.3f |g| %.3f  %.1f s (gen %.0f%%,"
                            + " saliency %.0f%%, grad %.0f%%)%s%n", s.step(), steps, r.meanReward(), r.accuracy(),
                    r.meanSaliency(), r.meanNecessity(), r.meanCoverage(), s.gradNorm(), t.total(),
                    100 * t.generation() / t.total(), 100 * t.saliency() / t.total(), 100 * t.gradient() / t.total(),
                    s.testAccuracy() == null ? "" : "  test accuracy " + s.testAccuracy());
        } else {
            err.printf("grpo: before training: test accuracy %s%n", s.testAccuracy());
        }
        err.flush();
    }
}
