package org.atmanrl.driver.config;

import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.data.DataSpec;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.check.Conflict;
import org.atmanrl.reward.saliency.SaliencyConfig;

/**
 * Everything {@code atmanrl train} needs, resolved: the config file's values over these defaults,
 * then the {@code --set} overrides. {@link TrainConfigLoader} reads one; {@link #toYaml()} writes
 * one back; {@link TrainConfigSchema} declares every key: its range, default and doc.
 *
 * @param model           starting model directory (any Hadoop path); required to train, null in {@link #defaults()}
 * @param output          run directory; required to train, null in {@link #defaults()}
 * @param seed            run seed: prompt draws, sampling and masks derive from it
 *                        (docs/design.md 3.1)
 * @param steps           GRPO steps
 * @param promptsPerStep  {@code B}, prompts per step
 * @param partitions      {@code P}, Spark tasks per step, each holding whole prompt groups
 * @param mode            sync (the driver reduces and steps) or barrier (the tasks do, docs/design.md 3.5)
 * @param data            which task and data files
 * @param sampling        rollout sampling; its {@code maxNewTokens} is GRPO's {@code maxCompletionLength}
 * @param grpo            advantages, clipping, KL and loss aggregation (docs/design.md 2.3)
 * @param saliency        the AtMan mask fit and {@code r_sal} (docs/design.md 2.2)
 * @param saliencyMetrics fit masks even when {@code saliency.alpha} is 0, to report N, C and {@code r_sal}
 * @param optimizer       AdamW, clipping and the learning-rate schedule
 * @param lora            LoRA adapters on a frozen base, or rank 0 for none (docs/design.md 3.4)
 * @param weightStorage   how executors store the weights they hold but do not train (docs/design.md 3.4,
 *                        "bf16 storage")
 * @param checkpoint      when checkpoints are written and how many are kept
 * @param eval            greedy test evaluation
 * @param spark           Spark master and task retries
 * @param faults          fault injection for tests; off by default
 */
public record TrainConfig(String model, String output, long seed, int steps, int promptsPerStep, int partitions,
                          TrainingMode mode, DataSpec data, SamplingConfig sampling, GrpoConfig grpo, SaliencyConfig saliency,
                          boolean saliencyMetrics, OptimizerConfig optimizer, LoraTrainingConfig lora,
                          WeightStorage weightStorage, CheckpointConfig checkpoint,
                          EvalConfig eval, SparkConfig spark, FaultConfig faults) {

    public TrainConfig {
        if (data == null || sampling == null || grpo == null || saliency == null || optimizer == null
                || lora == null || weightStorage == null || mode == null || checkpoint == null || eval == null || spark == null || faults == null) {
            throw new IllegalArgumentException("every section (data, sampling, grpo, saliency, optimizer, lora, checkpoint,"
                    + " eval, spark, faults) is required");
        }
        // Each key's range is checked where the key table declares it (TrainConfigSchema); here, what involves several.
        if (partitions > promptsPerStep) {
            throw new Conflict("partitions must be <= prompts_per_step (a task holds whole prompt groups, so more tasks"
                    + " than prompts would idle), got " + partitions + " partitions for " + promptsPerStep + " prompts",
                    "partitions", "prompts_per_step");
        }
        GrpoConfig.requireStepBudget(promptsPerStep, grpo.groupSize(), sampling.maxNewTokens());
        // One number in two records: the file has only sampling.max_new_tokens, so toYaml could not keep both.
        if (grpo.maxCompletionLength() != sampling.maxNewTokens()) {
            throw new IllegalArgumentException("grpo max_completion_length " + grpo.maxCompletionLength()
                    + " must equal sampling.max_new_tokens " + sampling.maxNewTokens());
        }
        if (!data.task().embedded() && (data.trainPath() == null || data.trainPath().isBlank())) {
            throw new Conflict("task " + data.task().configName() + " needs a training file (data.train)",
                    "data.task", "data.train");
        }
        if (eval.size() > data.testSize()) {
            throw new Conflict("eval size " + eval.size() + " must be <= data.test_size " + data.testSize()
                    + " (evaluation draws from the test problems)", "eval.size", "data.test_size");
        }
        if (optimizer.schedule() != LearningRateSchedule.Decay.CONSTANT && optimizer.warmupSteps() >= steps) {
            throw new Conflict("a " + optimizer.schedule().name().toLowerCase(java.util.Locale.ROOT)
                    + " schedule needs warmup_steps < steps, got " + optimizer.warmupSteps() + " and " + steps,
                    "optimizer.schedule", "optimizer.warmup_steps", "steps");
        }
        // A fault aimed past the run would never fire, and a recovery test would pass without testing anything.
        if (faults.failTaskStep() != null && (faults.failTaskStep() >= steps || faults.failTaskPartition() >= partitions)) {
            throw new Conflict("fail_task_step " + faults.failTaskStep() + " and fail_task_partition "
                    + faults.failTaskPartition() + " must be < steps " + steps + " and < partitions " + partitions,
                    "faults.fail_task_step", "faults.fail_task_partition", "steps", "partitions");
        }
        // step > steps - count, not step + count > steps: the sum of two in-range longs could wrap
        if (faults.nanGradientStep() != null && faults.nanGradientStep() > (long) steps - faults.nanGradientCount()) {
            throw new Conflict("nan_gradient_step " + faults.nanGradientStep() + " plus nan_gradient_count "
                    + faults.nanGradientCount() + " must be <= steps " + steps,
                    "faults.nan_gradient_step", "faults.nan_gradient_count", "steps");
        }
        if (mode == TrainingMode.BARRIER) {
            BarrierModeLimits.require(grpo, saliency, saliencyMetrics, lora, weightStorage);
        }
    }

    /** Every key at its default (TrainConfigSchema's table); {@code model} and {@code output} are null. */
    public static TrainConfig defaults() {
        return TrainConfigSchema.defaults();
    }

    /**
     * This config as YAML: every key, in the file's order, its doc and allowed values as a comment,
     * loading back to an equal config (the loader also wants model and output, which only
     * {@link #defaults()} lacks). deploy/configs/embedded.yaml is this for the defaults.
     */
    public String toYaml() {
        return YamlText.write(new ConfigValues(this, "config").toTree(), TrainConfigSchema::comment);
    }

    /**
     * This config with one key changed, checked as a file's value would be: {@code value} is read as
     * a YAML scalar ({@code "0.04"}, {@code "null"}, {@code "cosine"}). Faults name {@code --set key=value}.
     */
    public TrainConfig with(String dottedKey, String value) {
        ConfigValues values = new ConfigValues(this, "config");
        values.assignSet(dottedKey + "=" + value);
        return values.build();
    }
}
