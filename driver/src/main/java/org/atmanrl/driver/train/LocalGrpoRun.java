package org.atmanrl.driver.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.atmanrl.driver.spark.ConsoleProgress;
import org.atmanrl.driver.step.DivergedRunException;
import org.atmanrl.driver.step.DriverTimes;
import org.atmanrl.driver.step.PolicyStep;
import org.atmanrl.driver.step.SkipStreak;
import org.atmanrl.driver.step.StepMetrics;
import org.atmanrl.driver.step.StepOutcome;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.rollout.Accuracy;
import org.atmanrl.executor.rollout.GreedyEvaluation;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;

/**
 * AtManRL GRPO in one process: per step, B prompts (a pure function of seed and step), their
 * rollouts scored and their gradient ({@link TaskStep}), then the step's updates ({@link
 * PolicyStep}). The Spark service runs the same {@link TaskStep} on its executors and the same
 * {@link PolicyStep} on the driver, with the same rule for NaN gradients ({@link SkipStreak}) and
 * the same metrics lines ({@link StepMetrics}).
 */
public final class LocalGrpoRun {
    /** Everything the run needs besides the model and data. */
    public record Config(int steps, int promptsPerStep, RolloutScoring scoring, LearningRateSchedule schedule,
                           AdamW.Config adam, double clipNorm, int maxSkippedSteps, int evalEvery, int evalSize,
                           int evalMaxTokens, long seed) {
    }

    private final Config config;
    private final PromptEncoder encoder;

    public LocalGrpoRun(Config config, PromptEncoder encoder) {
        this.config = config;
        this.encoder = encoder;
    }

    /**
     * Trains {@code policy} in place; {@code reference} is needed only when beta > 0. {@code lines}
     * receives the log: the evaluation before training ({@code step} 0), then each step's metrics
     * line, with an {@code eval} object on evaluation steps.
     */
    public void train(LlamaWeights policy, LlamaWeights reference, ProblemSet train, ProblemSet test,
                      Consumer<ObjectNode> lines) {
        GrpoConfig grpo = config.scoring().grpo();
        if (grpo.needsReference() && reference == null) {
            throw new IllegalArgumentException("beta > 0 needs a reference model");
        }
        LlamaModel model = new LlamaModel(policy);
        LlamaModel ref = reference == null ? null : new LlamaModel(reference);
        // one process is one partition: the norm's squares in one shard (docs/design.md 3.5)
        PolicyUpdate update = new PolicyUpdate(new AdamW(config.adam(), policy.named()), config.schedule(),
                config.clipNorm(), 1);
        ObjectNode first = JsonFiles.MAPPER.createObjectNode().put("step", 0);
        first.set("eval", evalJson(evaluate(model, test)));
        lines.accept(first);
        SkipStreak streak = SkipStreak.none(config.maxSkippedSteps());
        for (int step = 0; step < config.steps(); step++) {
            long t0 = System.nanoTime();
            List<Problem> problems = new ArrayList<>();
            for (int i = 0; i < config.promptsPerStep(); i++) {
                problems.add(train.draw(config.seed(), step, i));
            }
            TaskStep.Prepared prepared = TaskStep.prepare(model, null, ref, encoder.tokenizer(), encoder.stopToken(),
                    config.scoring(), problems, config.seed(), step);
            PolicyStep.Result updates = PolicyStep.run(grpo.mu(), step,
                    u -> TaskStep.gradient(model, grpo, prepared, u == 0), null, update);
            streak = streak.after(updates.skipped());
            double seconds = (System.nanoTime() - t0) / 1e9;
            StepOutcome outcome = new StepOutcome(step + 1, updates.rollouts(), updates.gradient(), updates.update(),
                    streak, new DriverTimes(0, seconds - updates.updateSeconds(), 0, updates.updateSeconds(), seconds),
                    null);
            ObjectNode line = StepMetrics.line(outcome, grpo.needsReference());
            if ((step + 1) % config.evalEvery() == 0 || step == config.steps() - 1) {
                line.set("eval", evalJson(evaluate(model, test)));
            }
            lines.accept(line);
            if (streak.exceeded()) {
                throw new DivergedRunException(streak.stopMessage(step) + "; nothing was saved");
            }
        }
    }

    private Accuracy evaluate(LlamaModel model, ProblemSet test) {
        return GreedyEvaluation.accuracy(model, encoder.tokenizer(), test, config.evalSize(), config.evalMaxTokens(),
                encoder.stopToken(), 256);
    }

    private static ObjectNode evalJson(Accuracy a) {
        return JsonFiles.MAPPER.createObjectNode().put("accuracy", a.value()).put("parsed", a.parsedShare());
    }

    /** A one-line progress report of a log line, as {@code train} prints its steps. */
    public static void print(PrintWriter err, int steps, ObjectNode line) {
        long step = line.path("step").asLong();
        String eval = line.has("eval") ? "  test accuracy " + line.path("eval").path("accuracy").asText() : "";
        if (step == 0) {
            err.printf("grpo: before training:%s%n", eval);
        } else {
            err.printf("grpo: step %d/%d %s %.1f s%s%n", step, steps, ConsoleProgress.summary(line),
                    line.path("seconds").path("step").asDouble(), eval);
        }
        err.flush();
    }
}
