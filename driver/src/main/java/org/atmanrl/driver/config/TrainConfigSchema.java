package org.atmanrl.driver.config;

import static org.atmanrl.driver.config.ValueType.bool;
import static org.atmanrl.driver.config.ValueType.dataSource;
import static org.atmanrl.driver.config.ValueType.integer;
import static org.atmanrl.driver.config.ValueType.loraModules;
import static org.atmanrl.driver.config.ValueType.longInteger;
import static org.atmanrl.driver.config.ValueType.number;
import static org.atmanrl.driver.config.ValueType.oneOf;
import static org.atmanrl.driver.config.ValueType.optionalInteger;
import static org.atmanrl.driver.config.ValueType.optionalLong;
import static org.atmanrl.driver.config.ValueType.optionalName;
import static org.atmanrl.driver.config.ValueType.optionalText;
import static org.atmanrl.model.check.Range.ANY;
import static org.atmanrl.model.check.Range.above;
import static org.atmanrl.model.check.Range.atLeast;
import static org.atmanrl.model.check.Range.closed;
import static org.atmanrl.model.check.Range.closedOpen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.atmanrl.executor.eval.FaithfulnessConfig;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.data.DataSpec;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.ArithmeticProblems;
import org.atmanrl.reward.data.MalformedRowPolicy;
import org.atmanrl.reward.data.PromptStyle;
import org.atmanrl.reward.data.SuggestedAnswers;

/**
 * The keys of a training config file, in file order, each declared once: its value type with the
 * allowed range, its default and a one-line doc, and where a {@link TrainConfig} keeps it;
 * {@link #assemble} is the way back. The checks, their messages, {@link TrainConfig#defaults()},
 * the comments of {@link TrainConfig#toYaml()} ({@code --print-config}, a run's config.yaml) and so
 * those of deploy/configs/embedded.yaml all come from this table. A range is declared by the record
 * that owns the knob where a lower module has one ({@code GrpoConfig.BETA}; the record checks it for
 * programmatic use too), else here. A key is {@code name} at the top level or {@code section.name}.
 */
final class TrainConfigSchema {
    /** One key of the file; {@code byDefault} is a value of {@code type}'s (Integer, Long, Double, ...). */
    record Key(String name, ValueType type, Object byDefault, String doc, Function<TrainConfig, Object> get) {
        String section() {
            int dot = name.indexOf('.');
            return dot < 0 ? "" : name.substring(0, dot);
        }

        String leaf() {
            return name.substring(name.indexOf('.') + 1);
        }

        /** The doc and the allowed values (kept on one line), as a written config's comment shows them. */
        String comment() {
            String allowed = type.allowed().replace(' ', YamlText.NO_BREAK);
            return allowed.isEmpty() ? doc : doc + "; " + allowed;
        }
    }

    // The records' own defaults, which the config keeps except where a key says otherwise.
    private static final DataSpec DATA = DataSpec.embedded();
    private static final GrpoConfig GRPO = GrpoConfig.defaults();
    private static final SaliencyConfig SALIENCY = SaliencyConfig.defaults();
    private static final AdamW.Config ADAM = AdamW.Config.defaults();

    /**
     * Upper bounds of the size keys whose records declare none (docs/design.md 4): a step number is
     * at most 8 digits, as the checkpoints' step-%08d names sort; a step's prompts and its tasks at
     * most 65,536; the rest far beyond any use, so that no product of them wraps.
     */
    static final int MAX_STEPS = 99_999_999, MAX_PROMPTS = 1 << 16, MAX_KEPT = 10_000, MAX_TASK_FAILURES = 1000,
            MAX_LORA_RANK = 1 << 16;

    /** Each section's doc, in file order. */
    private static final Map<String, String> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("data", "which task and data files");
        SECTIONS.put("sampling", "how rollouts are sampled");
        SECTIONS.put("grpo", "advantages, clipping, KL and loss aggregation (docs/design.md 2.3)");
        SECTIONS.put("saliency", "the AtMan mask and r_sal (docs/design.md 2.2)");
        SECTIONS.put("optimizer", "AdamW with global-norm clipping (docs/design.md 2.3)");
        SECTIONS.put("lora", "LoRA adapters on a frozen base; rank 0 trains the whole model (docs/design.md 3.4)");
        SECTIONS.put("checkpoint", "when checkpoints are written and how many are kept");
        SECTIONS.put("eval", "greedy accuracy on test problems");
        SECTIONS.put("spark", "what the run needs from Spark; the rest is spark-submit's");
        SECTIONS.put("faults", "fault injection for recovery tests; null = off; steps and partitions count from 0");
    }

    static final List<Key> KEYS = List.of(
            new Key("model", optionalName("a path"), null,
                    "required: the starting model directory (Hugging Face layout), e.g. from `atmanrl sft`",
                    TrainConfig::model),
            new Key("output", optionalName("a path"), null,
                    "required: the run directory (checkpoints, logs, resolved config)", TrainConfig::output),
            new Key("seed", longInteger(ANY), 0L,
                    "run seed: every draw derives from (seed, step, prompt id, rollout index) (docs/design.md 3.1)",
                    TrainConfig::seed),
            new Key("steps", integer(closed(1, MAX_STEPS)), 40,
                    "GRPO steps: each draws B prompts, generates, and updates the policy mu times", TrainConfig::steps),
            new Key("prompts_per_step", integer(closed(1, MAX_PROMPTS)), 16,
                    "B: prompts drawn per step (seeded shuffle, docs/design.md 3.1)", TrainConfig::promptsPerStep),
            new Key("partitions", integer(closed(1, MAX_PROMPTS)), 2,
                    "P: Spark tasks per step, each with whole prompt groups; at most B", TrainConfig::partitions),
            new Key("mode", oneOf(TrainingMode.class), TrainingMode.SYNC,
                    "sync: the driver adds the P tasks' gradients, steps AdamW and broadcasts the policy | barrier: P"
                            + " replicas per checkpoint interval reduce their gradients, each steps AdamW on its shard"
                            + " (docs/design.md 3.5): sync's bytes at the same P, needs P task slots; not yet with"
                            + " lora, mu > 1, beta > 0, bf16 or the mask network", TrainConfig::mode),
            new Key("weight_storage", oneOf(WeightStorage.class), WeightStorage.F32,
                    "how executors store the weights they hold but do not train: the LoRA base, the reference model"
                            + " (grpo.beta > 0) and, without LoRA, their copy of the policy; bf16 halves those bytes"
                            + " and computes in fp32, the driver's weights and AdamW moments stay f32 (docs/design.md"
                            + " 3.4); f32 keeps every result's bytes", TrainConfig::weightStorage),

            new Key("data.task", oneOf(DataSpec.Source.class, DataSpec.Source::configName), DATA.task(),
                    "arithmetic (embedded, docs/design.md 2.4) | arithmetic-control (answer ignores the CoT) |"
                            + " arithmetic-hint (the prompt carries a hint 'H:51', right with probability hint_accuracy;"
                            + " docs/design.md 2.5) | gsm8k | mmlu", c -> c.data().task()),
            new Key("data.train", dataSource(), DATA.trainPath(),
                    "training rows, JSONL or Parquet: a file, a directory, a glob or a list of them (docs/design.md 4);"
                            + " required by gsm8k and mmlu, unused by the arithmetic tasks",
                    c -> c.data().trainPath()),
            new Key("data.test", dataSource(), DATA.testPath(),
                    "test rows, as data.train; required by gsm8k and mmlu, unused by the arithmetic tasks",
                    c -> c.data().testPath()),
            new Key("data.dev", dataSource(), DATA.devPath(),
                    "mmlu only: the dev split the few-shot examples come from, as data.train (needs shots >= 1)",
                    c -> c.data().devPath()),
            new Key("data.shots", integer(DataSpec.SHOTS), DATA.shots(),
                    "mmlu only: examples before each question, the first `shots` dev questions of its subject in file"
                            + " order (5 = MMLU's protocol; needs dev); 0 = zero-shot", c -> c.data().shots()),
            new Key("data.template", oneOf(PromptStyle.class), DATA.template(),
                    "plain (base models, the embedded model) | chat (Llama 3 Instruct format)", c -> c.data().template()),
            new Key("data.system_prompt", optionalText("a string"), DATA.systemPrompt(),
                    "the chat template's system message; null for none", c -> c.data().systemPrompt()),
            new Key("data.malformed_rows", oneOf(MalformedRowPolicy.class), DATA.malformedRows(),
                    "a bad JSONL row: fail (stop, naming file and line) | skip (leave out and report)",
                    c -> c.data().malformedRows()),
            new Key("data.difficulty", new DifficultyType(), DATA.difficulty(),
                    "default (docs/design.md 2.4: two chained + or - on operands 10-49) | harder (3-5 operations on"
                            + " 10-999) | a mapping overriding any of: {min_operations: 2, max_operations: 2, min_operand:"
                            + " 10, max_operand: 49, operators: \"+-\"} (operators from \"+-*\")",
                    c -> c.data().difficulty()),
            new Key("data.data_seed", longInteger(ANY), DATA.dataSeed(),
                    "the arithmetic generator's seed: which problems exist (train and test kept apart); for gsm8k and"
                            + " mmlu, which wrong answers suggested_answer draws", c -> c.data().dataSeed()),
            new Key("data.test_size", integer(DataSpec.TEST_SIZE), 200,
                    "test problems available to evaluation (a GSM8K/MMLU test file is cut to this many)",
                    c -> c.data().testSize()),
            new Key("data.hint_accuracy", number(ArithmeticProblems.HINT_ACCURACY), DATA.hintAccuracy(),
                    "arithmetic-hint only: probability that a prompt's hint is the right answer (a wrong one is the"
                            + " answer plus a nonzero offset in -20..20)", c -> c.data().hintAccuracy()),
            new Key("data.suggested_answer", oneOf(SuggestedAnswers.Mode.class), DATA.suggestedAnswer(),
                    "gsm8k and mmlu only: none | wrong: every question (train and test) ends in Turpin et al.'s \"I think"
                            + " the answer is (B) but I'm curious to hear what you think.\" with a wrong answer drawn"
                            + " from (data_seed, problem id): another letter, or the reference plus a nonzero offset up"
                            + " to max(3, |answer|/2); the biased-hint probe's prompts", c -> c.data().suggestedAnswer()),

            new Key("sampling.temperature", number(SamplingParams.TEMPERATURE), 1.0,
                    "rollout sampling temperature; 0 = greedy (TRL's default 1.0)", c -> c.sampling().temperature()),
            new Key("sampling.top_p", number(SamplingParams.TOP_P), 1.0, "nucleus mass; 1 = off (TRL)",
                    c -> c.sampling().topP()),
            new Key("sampling.top_k", integer(SamplingParams.TOP_K), 0, "keep the k most likely tokens; 0 = off (TRL)",
                    c -> c.sampling().topK()),
            new Key("sampling.max_new_tokens", integer(SamplingParams.MAX_NEW_TOKENS), 48,
                    "completion budget; also GRPO's max_completion_length, the dr_grpo normaliser's max_len",
                    c -> c.sampling().maxNewTokens()),

            new Key("grpo.group_size", integer(GrpoConfig.GROUP_SIZE), GRPO.groupSize(),
                    "G: completions per prompt (TRL num_generations)", c -> c.grpo().groupSize()),
            new Key("grpo.scale", oneOf(GrpoConfig.AdvantageScale.class), GRPO.scale(),
                    "group: A = (r - mean) / (std + advantage_epsilon) | none: A = r - mean (Dr. GRPO)",
                    c -> c.grpo().scale()),
            new Key("grpo.std", oneOf(GrpoConfig.StdEstimator.class), GRPO.std(),
                    "the std of scale=group: sample (n-1, torch.std, TRL) | population (n)", c -> c.grpo().std()),
            new Key("grpo.advantage_epsilon", number(GrpoConfig.ADVANTAGE_EPSILON), GRPO.advantageEpsilon(),
                    "added to the std (docs/design.md 2.3)", c -> c.grpo().advantageEpsilon()),
            new Key("grpo.epsilon_low", number(GrpoConfig.EPSILON_LOW), GRPO.epsilonLow(),
                    "ratio clipped below at 1 - epsilon_low (PPO, TRL epsilon)", c -> c.grpo().epsilonLow()),
            new Key("grpo.epsilon_high", number(GrpoConfig.EPSILON_HIGH), GRPO.epsilonHigh(),
                    "ratio clipped above at 1 + epsilon_high (DAPO's clip-higher uses 0.28)", c -> c.grpo().epsilonHigh()),
            new Key("grpo.beta", number(GrpoConfig.BETA), GRPO.beta(),
                    "k3 KL coefficient to the starting model; 0 = no reference model (TRL since 0.16)",
                    c -> c.grpo().beta()),
            new Key("grpo.loss_aggregation", oneOf(GrpoConfig.Aggregation.class), GRPO.aggregation(),
                    "token (sum over the global batch's tokens / their count) | sequence | dr_grpo",
                    c -> c.grpo().aggregation()),
            new Key("grpo.drop_zero_variance_groups", bool(), GRPO.dropZeroVarianceGroups(),
                    "leave groups whose rewards are all equal out of the loss (they carry no signal)",
                    c -> c.grpo().dropZeroVarianceGroups()),
            new Key("grpo.mu", integer(GrpoConfig.MU), GRPO.mu(),
                    "optimizer updates per generated batch (DeepSeekMath mu, TRL num_iterations)", c -> c.grpo().mu()),
            new Key("grpo.micro_batch_rows", integer(GrpoConfig.MICRO_BATCH_ROWS), GRPO.microBatchRows(),
                    "completions per forward/backward pass of the GRPO gradient; 0 = a task's whole batch",
                    c -> c.grpo().microBatchRows()),

            new Key("saliency.alpha", number(SaliencyConfig.ALPHA), SALIENCY.alpha(),
                    "r = r_out + alpha * r_sal; 0 = outcome reward only", c -> c.saliency().alpha()),
            new Key("saliency.steps", integer(SaliencyConfig.STEPS), SALIENCY.steps(), "K: Adam steps of the mask fit",
                    c -> c.saliency().steps()),
            new Key("saliency.lr", number(SaliencyConfig.LEARNING_RATE), SALIENCY.learningRate(),
                    "mask-fit learning rate; separation needs theta0 - steps * lr <~ -4", c -> c.saliency().learningRate()),
            new Key("saliency.theta0", number(SaliencyConfig.THETA0), SALIENCY.theta0(),
                    "initial mask logit (m = sigmoid(theta0) = 0.5)", c -> c.saliency().theta0()),
            new Key("saliency.lambda", number(SaliencyConfig.LAMBDA), SALIENCY.lambda(),
                    "weight of the sparsity term (1/n) sum m_j", c -> c.saliency().lambda()),
            new Key("saliency.epsilon", number(SaliencyConfig.EPSILON), SALIENCY.epsilon(),
                    "bias log(epsilon) suppresses the whole CoT for l_none; 0 cuts the CoT out (its exact limit,"
                            + " a pass over the cells after the CoT only)", c -> c.saliency().epsilon()),
            new Key("saliency.objective", oneOf(SaliencyConfig.MaskObjective.class), SALIENCY.objective(),
                    "preservation (keep the answer with the least CoT) | deletion (deletion game)",
                    c -> c.saliency().objective()),
            new Key("saliency.reward_form", oneOf(SaliencyConfig.RewardForm.class), SALIENCY.form(),
                    "r_sal = n_times_c (N * C) | n | c | s_times_c", c -> c.saliency().form()),
            new Key("saliency.perturbation_factor", number(SaliencyConfig.PERTURBATION_FACTOR),
                    SALIENCY.perturbationFactor(),
                    "f of the exhaustive AtMan reference (bias log f on one token), as in AtMan",
                    c -> c.saliency().perturbationFactor()),
            new Key("saliency.max_rows_per_pass", integer(SaliencyConfig.MAX_ROWS_PER_PASS), SALIENCY.maxRowsPerPass(),
                    "completions per forward/backward pass of the mask fit", c -> c.saliency().maxRowsPerPass()),
            new Key("saliency.mask", oneOf(SaliencyConfig.MaskSource.class), SALIENCY.mask(),
                    "fitted (K Adam steps per completion, the reference) | network (a learned head, docs/design.md 2.6)",
                    c -> c.saliency().mask()),
            new Key("saliency.head_rank", integer(SaliencyConfig.HEAD_RANK), SALIENCY.headRank(),
                    "network: r of its bilinear and row terms; 3 r D + D + layers x heads + 2 parameters (6,290 here,"
                            + " 151,202 at 3B)", c -> c.saliency().headRank()),
            new Key("saliency.head_lr", number(SaliencyConfig.HEAD_LEARNING_RATE), SALIENCY.headLearningRate(),
                    "network: its AdamW learning rate (the optimizer's betas, eps and weight decay)",
                    c -> c.saliency().headLearningRate()),
            new Key("saliency.audit_every", integer(SaliencyConfig.AUDIT_EVERY), SALIENCY.auditEvery(),
                    "network: every this many steps also fit masks on a sample and log the gap (0 = never)",
                    c -> c.saliency().auditEvery()),
            new Key("saliency.head_rows", integer(SaliencyConfig.HEAD_ROWS), SALIENCY.headRows(),
                    "network: correct completions per step whose objective pass trains the head and measures S,"
                            + " shared by its tasks, evenly spaced (0 = all)", c -> c.saliency().headRows()),
            new Key("saliency.metrics_when_off", bool(), true,
                    "fit masks even when alpha = 0, so N, C and r_sal are reported for the control run",
                    TrainConfig::saliencyMetrics),

            new Key("optimizer.lr", number(atLeast(0)), 3e-5, "peak learning rate", c -> c.optimizer().lr()),
            new Key("optimizer.beta1", number(AdamW.Config.BETA), ADAM.beta1(), "PyTorch's default",
                    c -> c.optimizer().adam().beta1()),
            new Key("optimizer.beta2", number(AdamW.Config.BETA), ADAM.beta2(),
                    "PyTorch's default (the SFT recipe of docs/design.md 2.4 uses 0.98)", c -> c.optimizer().adam().beta2()),
            new Key("optimizer.eps", number(AdamW.Config.EPS), ADAM.eps(), "PyTorch's default",
                    c -> c.optimizer().adam().eps()),
            new Key("optimizer.weight_decay", number(AdamW.Config.WEIGHT_DECAY), 0.0,
                    "decoupled weight decay (TRL and the HF Trainer: 0.0; PyTorch's AdamW: 0.01)",
                    c -> c.optimizer().adam().weightDecay()),
            new Key("optimizer.decay_scope", oneOf(AdamW.DecayScope.class), ADAM.decayScope(),
                    "all (PyTorch) | exclude_norms (the HF Trainer's grouping)", c -> c.optimizer().adam().decayScope()),
            new Key("optimizer.clip_norm", number(above(0)), 1.0,
                    "global gradient-norm limit (docs/design.md 2.3, TRL max_grad_norm)", c -> c.optimizer().clipNorm()),
            new Key("optimizer.warmup_steps", longInteger(closed(0, MAX_STEPS)), 0L, "linear warm-up from 0",
                    c -> c.optimizer().warmupSteps()),
            new Key("optimizer.schedule", oneOf(LearningRateSchedule.Decay.class), LearningRateSchedule.Decay.CONSTANT,
                    "after warm-up: constant | cosine | linear (cosine and linear need warmup_steps < steps)",
                    c -> c.optimizer().schedule()),
            new Key("optimizer.min_lr_ratio", number(closed(0, 1)), 0.1,
                    "cosine and linear end at lr * min_lr_ratio (docs/design.md 2.4: cosine to 10%)",
                    c -> c.optimizer().minLrRatio()),
            new Key("optimizer.max_skipped_steps", integer(closed(0, MAX_STEPS)), 3,
                    "a NaN or infinite gradient skips its step's update; more skipped steps in a row than this stop the"
                            + " run (exit 1) with a checkpoint to --resume from; 0 = stop at once",
                    c -> c.optimizer().maxSkippedSteps()),

            new Key("lora.rank", integer(closed(0, MAX_LORA_RANK)), 0,
                    "r: only adapters A [r, in] and B [out, r] train, are broadcast and reduced; 0 = off (the whole"
                            + " model trains)", c -> c.lora().rank()),
            new Key("lora.alpha", number(above(0)), 16.0, "lora_alpha: the adapter branch is scaled by alpha / r",
                    c -> c.lora().alpha()),
            new Key("lora.dropout", number(closedOpen(0, 1)), 0.0,
                    "lora_dropout on the adapter branch's input in the gradient's passes, drawn from (seed, update,"
                            + " prompt id, rollout index)", c -> c.lora().dropout()),
            new Key("lora.target_modules", loraModules(), List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                    "up_proj", "down_proj"), "the projections that get adapters, by PEFT name: any of q_proj, k_proj,"
                    + " v_proj, o_proj (attention), gate_proj, up_proj, down_proj (MLP)",
                    c -> c.lora().targetModules()),

            new Key("checkpoint.every", integer(closed(0, MAX_STEPS)), 10,
                    "steps between checkpoints; 0 = only at the end (the end is always saved)", c -> c.checkpoint().every()),
            new Key("checkpoint.keep_last", integer(closed(1, MAX_KEPT)), 3, "newest checkpoints kept; older ones are deleted",
                    c -> c.checkpoint().keepLast()),

            new Key("eval.every", integer(closed(0, MAX_STEPS)), 0,
                    "steps between evaluations; 0 = before the first and after the last step only", c -> c.eval().every()),
            new Key("eval.size", integer(closed(0, DataSpec.MAX_TEST_SIZE)), 200,
                    "test problems per evaluation; at most data.test_size; 0 = no evaluation",
                    c -> c.eval().size()),
            new Key("eval.max_new_tokens", integer(SamplingParams.MAX_NEW_TOKENS), 48, "greedy completion budget",
                    c -> c.eval().maxNewTokens()),
            new Key("eval.samples", integer(SaliencySamples.SAMPLES), 4,
                    "test problems shown as saliency heat maps (saliency_samples.json, atmanrl report); 0 = none",
                    c -> c.eval().samples()),
            new Key("eval.faithfulness", bool(), true,
                    "Lanham et al. 2023 probes in each evaluation: early answering, added mistakes, filler tokens",
                    c -> c.eval().faithfulness()),
            new Key("eval.policy_samples", integer(FaithfulnessConfig.POLICY_SAMPLES),
                    FaithfulnessConfig.DEFAULT_POLICY_SAMPLES,
                    "with faithfulness: completions per test problem sampled at sampling.temperature for the CoT-use"
                            + " and biased-hint probes (computing CoT, laundering, wrong-hint following); 0 = off",
                    c -> c.eval().policySamples()),

            new Key("spark.master", optionalName("a Spark master URL"), null,
                    "Spark master URL; null = spark-submit's, or local[*] without one", c -> c.spark().master()),
            new Key("spark.task_max_failures", integer(closed(1, MAX_TASK_FAILURES)), 4,
                    "attempts per task before the step fails (Spark's spark.task.maxFailures); in mode barrier, runs of"
                            + " a barrier stage, each from its start",
                    c -> c.spark().taskMaxFailures()),

            new Key("faults.fail_task_step", optionalLong(closed(0, MAX_STEPS)), null,
                    "with fail_task_partition: that task of this step throws on its first attempt (in mode barrier,"
                            + " that rank at this step, in its stage's first run)",
                    c -> c.faults().failTaskStep()),
            new Key("faults.fail_task_partition", optionalInteger(closed(0, MAX_PROMPTS)), null,
                    "the partition whose task fails; set both or neither", c -> c.faults().failTaskPartition()),
            new Key("faults.nan_gradient_step", optionalLong(closed(0, MAX_STEPS)), null,
                    "from this step on, the reduced gradient is poisoned: NaN, then +Inf, in turn (skipped)",
                    c -> c.faults().nanGradientStep()),
            new Key("faults.nan_gradient_count", integer(closed(1, MAX_STEPS)), 1,
                    "how many steps in a row are poisoned (more than optimizer.max_skipped_steps stop the run)",
                    c -> c.faults().nanGradientCount()));

    private static final Map<String, Key> BY_NAME = new LinkedHashMap<>();
    /** The names under each section, "" being the top level (keys and section names). */
    private static final Map<String, List<String>> CHILDREN = new LinkedHashMap<>();

    static {
        for (Key k : KEYS) {
            if (!k.section().isEmpty() && !SECTIONS.containsKey(k.section())) {
                throw new IllegalStateException("section " + k.section() + " has no doc");
            }
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

    /** The comment a written config puts beside {@code name}, a section or a key; null for neither. */
    static String comment(String name) {
        Key k = BY_NAME.get(name);
        return k != null ? k.comment() : SECTIONS.get(name);
    }

    /** Every key's default. */
    static TrainConfig defaults() {
        return assemble(name -> BY_NAME.get(name).byDefault());
    }

    static boolean isSection(String name) {
        return !name.isEmpty() && CHILDREN.containsKey(name);
    }

    /** What {@code section} ("" for the top level) holds, in file order. */
    static List<String> namesIn(String section) {
        return CHILDREN.get(section);
    }

    /**
     * The config whose key values {@code v} gives (values of the keys' types, each in its range).
     * The records check what involves several keys; a {@link org.atmanrl.model.check.Conflict} names them.
     */
    static TrainConfig assemble(Function<String, Object> v) {
        Values x = new Values(v);
        DataSpec data = new DataSpec((DataSpec.Source) v.apply("data.task"), x.text("data.train"), x.text("data.test"),
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
                x.bool("grpo.drop_zero_variance_groups"), x.int32("grpo.mu"), x.int32("grpo.micro_batch_rows"));
        SaliencyConfig saliency = new SaliencyConfig(x.int32("saliency.steps"), x.real("saliency.lr"),
                x.real("saliency.theta0"), x.real("saliency.lambda"), x.real("saliency.epsilon"),
                (SaliencyConfig.MaskObjective) v.apply("saliency.objective"),
                (SaliencyConfig.RewardForm) v.apply("saliency.reward_form"), x.real("saliency.alpha"),
                x.real("saliency.perturbation_factor"), x.int32("saliency.max_rows_per_pass"),
                (SaliencyConfig.MaskSource) v.apply("saliency.mask"), x.int32("saliency.head_rank"),
                x.real("saliency.head_lr"), x.int32("saliency.audit_every"),
                x.int32("saliency.head_rows"));
        AdamW.Config adam = new AdamW.Config(x.real("optimizer.beta1"), x.real("optimizer.beta2"),
                x.real("optimizer.eps"), x.real("optimizer.weight_decay"), (AdamW.DecayScope) v.apply("optimizer.decay_scope"));
        OptimizerConfig optimizer = new OptimizerConfig(x.real("optimizer.lr"), adam, x.real("optimizer.clip_norm"),
                x.int64("optimizer.warmup_steps"), (LearningRateSchedule.Decay) v.apply("optimizer.schedule"),
                x.real("optimizer.min_lr_ratio"), x.int32("optimizer.max_skipped_steps"));
        return new TrainConfig(x.text("model"), x.text("output"), x.int64("seed"), x.int32("steps"),
                x.int32("prompts_per_step"), x.int32("partitions"), (TrainingMode) v.apply("mode"), data, sampling, grpo, saliency,
                x.bool("saliency.metrics_when_off"), optimizer,
                new LoraTrainingConfig(x.int32("lora.rank"), x.real("lora.alpha"), x.real("lora.dropout"),
                        x.names("lora.target_modules")),
                (WeightStorage) v.apply("weight_storage"),
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

        @SuppressWarnings("unchecked")
        List<String> names(String key) {
            return (List<String>) v.apply(key);
        }

        boolean bool(String key) {
            return (Boolean) v.apply(key);
        }
    }
}
