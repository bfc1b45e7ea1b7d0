package org.atmanrl.driver.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.task.DataSpec;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.task.ArithmeticDifficulty;
import org.atmanrl.reward.task.MalformedRowPolicy;
import org.atmanrl.reward.task.PromptStyle;
import org.atmanrl.reward.task.SuggestedAnswers;

/**
 * The keys of a training config file, in file order: each with its value type and where a
 * {@link TrainConfig} keeps it; {@link #assemble} is the way back. A key is {@code name} at the top
 * level or {@code section.name}.
 */
final class TrainConfigSchema {
    /** One key of the file. */
    record Key(String name, ValueType type, Function<TrainConfig, Object> get) {
        String section() {
            int dot = name.indexOf('.');
            return dot < 0 ? "" : name.substring(0, dot);
        }

        String leaf() {
            return name.substring(name.indexOf('.') + 1);
        }
    }

    private static final String AT_LEAST_1 = ">= 1", AT_LEAST_0 = ">= 0";

    static final List<Key> KEYS = List.of(
            new Key("model", ValueType.optionalText("a path"), TrainConfig::model),
            new Key("output", ValueType.optionalText("a path"), TrainConfig::output),
            new Key("seed", ValueType.longInteger(""), TrainConfig::seed),
            new Key("steps", ValueType.integer(AT_LEAST_1), TrainConfig::steps),
            new Key("prompts_per_step", ValueType.integer(AT_LEAST_1), TrainConfig::promptsPerStep),
            new Key("partitions", ValueType.integer(">= 1 and <= prompts_per_step"), TrainConfig::partitions),

            new Key("data.task", ValueType.oneOf(DataSpec.Task.class, DataSpec.Task::configName), c -> c.data().task()),
            new Key("data.train", ValueType.optionalText("a path"), c -> c.data().trainPath()),
            new Key("data.test", ValueType.optionalText("a path"), c -> c.data().testPath()),
            new Key("data.dev", ValueType.optionalText("a path"), c -> c.data().devPath()),
            new Key("data.shots", ValueType.integer(AT_LEAST_0), c -> c.data().shots()),
            new Key("data.template", ValueType.oneOf(PromptStyle.class), c -> c.data().template()),
            new Key("data.system_prompt", ValueType.optionalText("a string"), c -> c.data().systemPrompt()),
            new Key("data.malformed_rows", ValueType.oneOf(MalformedRowPolicy.class), c -> c.data().malformedRows()),
            new Key("data.difficulty", new DifficultyType(), c -> c.data().difficulty()),
            new Key("data.data_seed", ValueType.longInteger(""), c -> c.data().dataSeed()),
            new Key("data.test_size", ValueType.integer(AT_LEAST_1), c -> c.data().testSize()),
            new Key("data.hint_accuracy", ValueType.number("in [0, 1]"), c -> c.data().hintAccuracy()),
            new Key("data.suggested_answer", ValueType.oneOf(SuggestedAnswers.Mode.class),
                    c -> c.data().suggestedAnswer()),

            new Key("sampling.temperature", ValueType.number(">= 0"), c -> c.sampling().temperature()),
            new Key("sampling.top_p", ValueType.number("in (0, 1]"), c -> c.sampling().topP()),
            new Key("sampling.top_k", ValueType.integer(AT_LEAST_0), c -> c.sampling().topK()),
            new Key("sampling.max_new_tokens", ValueType.integer(AT_LEAST_1), c -> c.sampling().maxNewTokens()),

            new Key("grpo.group_size", ValueType.integer(AT_LEAST_1), c -> c.grpo().groupSize()),
            new Key("grpo.scale", ValueType.oneOf(GrpoConfig.AdvantageScale.class), c -> c.grpo().scale()),
            new Key("grpo.std", ValueType.oneOf(GrpoConfig.StdEstimator.class), c -> c.grpo().std()),
            new Key("grpo.advantage_epsilon", ValueType.number("> 0"), c -> c.grpo().advantageEpsilon()),
            new Key("grpo.epsilon_low", ValueType.number("in [0, 1)"), c -> c.grpo().epsilonLow()),
            new Key("grpo.epsilon_high", ValueType.number(">= 0"), c -> c.grpo().epsilonHigh()),
            new Key("grpo.beta", ValueType.number(">= 0"), c -> c.grpo().beta()),
            new Key("grpo.loss_aggregation", ValueType.oneOf(GrpoConfig.Aggregation.class), c -> c.grpo().aggregation()),
            new Key("grpo.drop_zero_variance_groups", ValueType.bool(), c -> c.grpo().dropZeroVarianceGroups()),
            new Key("grpo.mu", ValueType.integer(AT_LEAST_1), c -> c.grpo().mu()),

            new Key("saliency.alpha", ValueType.number(">= 0"), c -> c.saliency().alpha()),
            new Key("saliency.steps", ValueType.integer(AT_LEAST_0), c -> c.saliency().steps()),
            new Key("saliency.lr", ValueType.number("> 0"), c -> c.saliency().learningRate()),
            new Key("saliency.theta0", ValueType.number(""), c -> c.saliency().theta0()),
            new Key("saliency.lambda", ValueType.number(">= 0"), c -> c.saliency().lambda()),
            new Key("saliency.epsilon", ValueType.number("in (0, 1)"), c -> c.saliency().epsilon()),
            new Key("saliency.objective", ValueType.oneOf(SaliencyConfig.MaskObjective.class), c -> c.saliency().objective()),
            new Key("saliency.reward_form", ValueType.oneOf(SaliencyConfig.RewardForm.class), c -> c.saliency().form()),
            new Key("saliency.perturbation_factor", ValueType.number("in (0, 1)"), c -> c.saliency().perturbationFactor()),
            new Key("saliency.max_rows_per_pass", ValueType.integer(AT_LEAST_1), c -> c.saliency().maxRowsPerPass()),
            new Key("saliency.mask", ValueType.oneOf(SaliencyConfig.MaskSource.class), c -> c.saliency().mask()),
            new Key("saliency.head_rank", ValueType.integer("in 1.." + MaskHead.MAX_RANK), c -> c.saliency().headRank()),
            new Key("saliency.head_lr", ValueType.number("> 0"), c -> c.saliency().headLearningRate()),
            new Key("saliency.audit_every", ValueType.integer(AT_LEAST_0), c -> c.saliency().auditEvery()),
            new Key("saliency.metrics_when_off", ValueType.bool(), TrainConfig::saliencyMetrics),

            new Key("optimizer.lr", ValueType.number(">= 0"), c -> c.optimizer().lr()),
            new Key("optimizer.beta1", ValueType.number("in [0, 1)"), c -> c.optimizer().adam().beta1()),
            new Key("optimizer.beta2", ValueType.number("in [0, 1)"), c -> c.optimizer().adam().beta2()),
            new Key("optimizer.eps", ValueType.number("> 0"), c -> c.optimizer().adam().eps()),
            new Key("optimizer.weight_decay", ValueType.number(">= 0"), c -> c.optimizer().adam().weightDecay()),
            new Key("optimizer.decay_scope", ValueType.oneOf(AdamW.DecayScope.class), c -> c.optimizer().adam().decayScope()),
            new Key("optimizer.clip_norm", ValueType.number("> 0"), c -> c.optimizer().clipNorm()),
            new Key("optimizer.warmup_steps", ValueType.longInteger(AT_LEAST_0), c -> c.optimizer().warmupSteps()),
            new Key("optimizer.schedule", ValueType.oneOf(LearningRateSchedule.Decay.class), c -> c.optimizer().schedule()),
            new Key("optimizer.min_lr_ratio", ValueType.number("in [0, 1]"), c -> c.optimizer().minLrRatio()),
            new Key("optimizer.max_skipped_steps", ValueType.integer(AT_LEAST_0), c -> c.optimizer().maxSkippedSteps()),

            new Key("checkpoint.every", ValueType.integer(AT_LEAST_0), c -> c.checkpoint().every()),
            new Key("checkpoint.keep_last", ValueType.integer(AT_LEAST_1), c -> c.checkpoint().keepLast()),

            new Key("eval.every", ValueType.integer(AT_LEAST_0), c -> c.eval().every()),
            new Key("eval.size", ValueType.integer(">= 1 and <= data.test_size"), c -> c.eval().size()),
            new Key("eval.max_new_tokens", ValueType.integer(AT_LEAST_1), c -> c.eval().maxNewTokens()),
            new Key("eval.samples", ValueType.integer(">= 0 and <= " + org.atmanrl.executor.eval.SaliencySamples.MAX_SAMPLES),
                    c -> c.eval().samples()),
            new Key("eval.faithfulness", ValueType.bool(), c -> c.eval().faithfulness()),
            new Key("eval.policy_samples", ValueType.integer(">= 0 and <= "
                    + org.atmanrl.executor.eval.FaithfulnessConfig.MAX_POLICY_SAMPLES), c -> c.eval().policySamples()),

            new Key("spark.master", ValueType.optionalText("a Spark master URL"), c -> c.spark().master()),
            new Key("spark.task_max_failures", ValueType.integer(AT_LEAST_1), c -> c.spark().taskMaxFailures()),

            new Key("faults.fail_task_step", ValueType.optionalLong(AT_LEAST_0), c -> c.faults().failTaskStep()),
            new Key("faults.fail_task_partition", ValueType.optionalInteger(AT_LEAST_0), c -> c.faults().failTaskPartition()),
            new Key("faults.nan_gradient_step", ValueType.optionalLong(AT_LEAST_0), c -> c.faults().nanGradientStep()),
            new Key("faults.nan_gradient_count", ValueType.integer(AT_LEAST_1), c -> c.faults().nanGradientCount()));

    private static final Map<String, Key> BY_NAME = new LinkedHashMap<>();
    /** The names under each section, "" being the top level (keys and section names). */
    private static final Map<String, List<String>> CHILDREN = new LinkedHashMap<>();

    static {
        for (Key k : KEYS) {
            BY_NAME.put(k.name(), k);
            if (k.section().isEmpty()) {
                CHILDREN.computeIfAbsent("", s -> new ArrayList<>()).add(k.name());
            } else {
                if (!CHILDREN.containsKey(k.section())) {
                    CHILDREN.computeIfAbsent("", s -> new ArrayList<>()).add(k.section());
                }
                CHILDREN.computeIfAbsent(k.section(), s -> new ArrayList<>()).add(k.leaf());
            }
        }
    }

    private TrainConfigSchema() {
    }

    /** The key called {@code name}, or null. */
    static Key key(String name) {
        return BY_NAME.get(name);
    }

    static boolean isSection(String name) {
        return !name.isEmpty() && CHILDREN.containsKey(name);
    }

    /** What {@code section} ("" for the top level) holds, in file order. */
    static List<String> namesIn(String section) {
        return CHILDREN.get(section);
    }

    /**
     * The config whose key values {@code v} gives (values of the keys' types). The records'
     * constructors validate; their IllegalArgumentException says what is wrong but not which key.
     */
    static TrainConfig assemble(Function<String, Object> v) {
        Values x = new Values(v);
        DataSpec data = new DataSpec((DataSpec.Task) v.apply("data.task"), x.text("data.train"), x.text("data.test"),
                (PromptStyle) v.apply("data.template"), x.text("data.system_prompt"),
                (MalformedRowPolicy) v.apply("data.malformed_rows"), (ArithmeticDifficulty) v.apply("data.difficulty"),
                x.int64("data.data_seed"), x.int32("data.test_size"), x.text("data.dev"), x.int32("data.shots"),
                x.real("data.hint_accuracy"), (SuggestedAnswers.Mode) v.apply("data.suggested_answer"));
        SamplingConfig sampling = new SamplingConfig(x.real("sampling.temperature"), x.real("sampling.top_p"),
                x.int32("sampling.top_k"), x.int32("sampling.max_new_tokens"));
        GrpoConfig grpo = new GrpoConfig(x.int32("grpo.group_size"), (GrpoConfig.AdvantageScale) v.apply("grpo.scale"),
                (GrpoConfig.StdEstimator) v.apply("grpo.std"), x.real("grpo.advantage_epsilon"),
                x.real("grpo.epsilon_low"), x.real("grpo.epsilon_high"), x.real("grpo.beta"),
                (GrpoConfig.Aggregation) v.apply("grpo.loss_aggregation"), sampling.maxNewTokens(),
                x.bool("grpo.drop_zero_variance_groups"), x.int32("grpo.mu"));
        SaliencyConfig saliency = new SaliencyConfig(x.int32("saliency.steps"), x.real("saliency.lr"),
                x.real("saliency.theta0"), x.real("saliency.lambda"), x.real("saliency.epsilon"),
                (SaliencyConfig.MaskObjective) v.apply("saliency.objective"),
                (SaliencyConfig.RewardForm) v.apply("saliency.reward_form"), x.real("saliency.alpha"),
                x.real("saliency.perturbation_factor"), x.int32("saliency.max_rows_per_pass"),
                (SaliencyConfig.MaskSource) v.apply("saliency.mask"), x.int32("saliency.head_rank"),
                x.real("saliency.head_lr"), x.int32("saliency.audit_every"));
        AdamW.Config adam = new AdamW.Config(x.real("optimizer.beta1"), x.real("optimizer.beta2"),
                x.real("optimizer.eps"), x.real("optimizer.weight_decay"), (AdamW.DecayScope) v.apply("optimizer.decay_scope"));
        OptimizerConfig optimizer = new OptimizerConfig(x.real("optimizer.lr"), adam, x.real("optimizer.clip_norm"),
                x.int64("optimizer.warmup_steps"), (LearningRateSchedule.Decay) v.apply("optimizer.schedule"),
                x.real("optimizer.min_lr_ratio"), x.int32("optimizer.max_skipped_steps"));
        return new TrainConfig(x.text("model"), x.text("output"), x.int64("seed"), x.int32("steps"),
                x.int32("prompts_per_step"), x.int32("partitions"), data, sampling, grpo, saliency,
                x.bool("saliency.metrics_when_off"), optimizer,
                new CheckpointConfig(x.int32("checkpoint.every"), x.int32("checkpoint.keep_last")),
                new EvalConfig(x.int32("eval.every"), x.int32("eval.size"), x.int32("eval.max_new_tokens"),
                        x.int32("eval.samples"), x.bool("eval.faithfulness"),
                        x.int32("eval.policy_samples")),
                new SparkConfig(x.text("spark.master"), x.int32("spark.task_max_failures")),
                new FaultConfig((Long) v.apply("faults.fail_task_step"), (Integer) v.apply("faults.fail_task_partition"),
                        (Long) v.apply("faults.nan_gradient_step"), x.int32("faults.nan_gradient_count")));
    }

    /** Typed access to key values, so that assemble reads as the records' constructors. */
    private record Values(Function<String, Object> v) {
        String text(String key) {
            return (String) v.apply(key);
        }

        int int32(String key) {
            return (Integer) v.apply(key);
        }

        long int64(String key) {
            return (Long) v.apply(key);
        }

        double real(String key) {
            return (Double) v.apply(key);
        }

        boolean bool(String key) {
            return (Boolean) v.apply(key);
        }
    }
}
