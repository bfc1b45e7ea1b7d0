package org.atmanrl.driver.train;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code atmanrl grpo}: AtManRL GRPO on the embedded task, in this process. */
@Command(name = "grpo",
        sortOptions = false,
        description = {
            "Runs AtManRL GRPO on the embedded arithmetic task in this process.",
            "",
            "Each step draws --prompts training prompts and samples --group completions",
            "for each. A completion's reward is r = r_out + alpha * r_sal: the outcome",
            "plus the attention-saliency reward (docs/design.md 2.2), r_sal = N * C on",
            "correct completions. The rewards become group-relative advantages, and the",
            "policy takes a clipped policy-gradient step with AdamW. The command starts",
            "from a model directory (e.g. one 'atmanrl sft' wrote) and saves the result",
            "with grpo_log.jsonl. --alpha 0 is the outcome-only control.",
            ""})
public final class GrpoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Start from the model directory DIR (the embedded task's).")
    private String model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Save the result as the model directory DIR, which must not exist.")
    private String out;

    @Option(names = "--steps", defaultValue = "40", paramLabel = "N", description = "Take N GRPO steps (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--prompts", defaultValue = "16", paramLabel = "B", description = "Draw B prompts per step (default: ${DEFAULT-VALUE}).")
    private int prompts;

    @Option(names = "--group", defaultValue = "8", paramLabel = "G", description = "Sample G completions per prompt (default: ${DEFAULT-VALUE}).")
    private int group;

    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A", description = "Weight r_sal in the reward by A; 0 is outcome reward only (default: ${DEFAULT-VALUE}).")
    private double alpha;

    @Option(names = "--saliency-metrics", description = "Fit masks even when --alpha is 0, to report N, C and r_sal of the control run.")
    private boolean saliencyMetrics;

    @Option(names = "--saliency-steps", defaultValue = "8", paramLabel = "K", description = "Fit each mask with K Adam steps (default: ${DEFAULT-VALUE}).")
    private int saliencySteps;

    @Option(names = "--saliency-lr", defaultValue = "0.5", paramLabel = "LR", description = "Fit the masks at this learning rate (default: ${DEFAULT-VALUE}).")
    private double saliencyLr;

    @Option(names = "--lr", defaultValue = "1e-4", paramLabel = "LR", description = "Train the policy at this constant learning rate (default: ${DEFAULT-VALUE}).")
    private double lr;

    @Option(names = "--beta", defaultValue = "0", paramLabel = "B", description = "Weight the k3 KL to the starting model by B (default: ${DEFAULT-VALUE}).")
    private double beta;

    @Option(names = "--mu", defaultValue = "1", paramLabel = "N", description = "Take N optimizer updates per generated batch (default: ${DEFAULT-VALUE}).")
    private int mu;

    @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T", description = "Sample at temperature T (default: ${DEFAULT-VALUE}).")
    private double temperature;

    @Option(names = "--max-new-tokens", defaultValue = "48", paramLabel = "N", description = "Generate at most N tokens per completion (default: ${DEFAULT-VALUE}).")
    private int maxNewTokens;

    @Option(names = "--eval-every", defaultValue = "10", paramLabel = "N", description = "Evaluate on the test problems every N steps (default: ${DEFAULT-VALUE}).")
    private int evalEvery;

    @Option(names = "--eval-size", defaultValue = "500", paramLabel = "N", description = "Evaluate on N test problems each time (default: ${DEFAULT-VALUE}).")
    private int evalSize;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed the run with N (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--weight-storage", defaultValue = "f32", paramLabel = "f32|bf16", converter = WeightStorageName.class,
            description = "Store the reference model (--beta > 0) as f32 or bf16 (half the bytes, computed in fp32;"
                    + " docs/design.md 3.4) (default: ${DEFAULT-VALUE}).")
    private WeightStorage weightStorage;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        GrpoConfig grpo;
        SaliencyConfig saliency;
        try {
            GrpoConfig d = GrpoConfig.defaults();
            grpo = new GrpoConfig(group, d.scale(), d.std(), d.advantageEpsilon(), d.epsilonLow(), d.epsilonHigh(), beta,
                    d.aggregation(), maxNewTokens, d.dropZeroVarianceGroups(), mu, d.microBatchRows());
            saliency = SaliencyConfig.defaultsWith(saliencySteps, saliencyLr, alpha);
            runConfig(grpo, saliency, 0); // validates the rest before any file is read
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Configuration conf = new Configuration();
        Path from = new Path(model), to = new Path(out);
        FileSystem fs = HadoopFiles.fileSystem(to, conf);
        ModelDirectory.requireAbsent(fs, to);
        FileSystem inFs = HadoopFiles.fileSystem(from, conf);
        PrintWriter err = spec.commandLine().getErr();
        StringBuilder log = new StringBuilder();
        try (ModelDirectory.Loaded loaded = ModelDirectory.load(inFs, from, DataType.FLOAT);
             EmbeddedData data = new EmbeddedData(Tokenizer.load(inFs, from), ArithmeticDifficulty.DEFAULT,
                     0, evalSize);
             LlamaWeights reference = beta > 0 ? weightStorage.store(loaded.weights().copy(DataType.FLOAT)) : null) {
            new LocalGrpoRun(runConfig(grpo, saliency, data.encoder.stopToken()), data.encoder).train(loaded.weights(),
                    reference, data.train, data.test, line -> {
                        log.append(line).append('\n');
                        LocalGrpoRun.print(err, steps, line);
                    });
            Map<String, byte[]> files = new LinkedHashMap<>(ModelDirectory.companionFiles(inFs, from));
            files.put("grpo_log.jsonl", log.toString().getBytes(StandardCharsets.UTF_8));
            ModelDirectory.save(fs, to, loaded.config(), loaded.weights(), SaveOptions.of(SafetensorsDType.F32), files);
            spec.commandLine().getOut().printf("wrote %s%n", fs.makeQualified(to));
        }
        return 0;
    }

    private LocalGrpoRun.Config runConfig(GrpoConfig grpo, SaliencyConfig saliency, int stopToken) {
        if (steps < 1 || prompts < 1 || evalEvery < 1 || evalSize < 1) {
            throw new IllegalArgumentException("--steps, --prompts, --eval-every and --eval-size must be >= 1");
        }
        // the same bounds as train's config (docs/design.md 4): a test set held in memory, a step's budget
        org.atmanrl.executor.data.DataSpec.TEST_SIZE.check("--eval-size", evalSize);
        GrpoConfig.requireStepBudget(prompts, grpo.groupSize(), maxNewTokens, "--prompts", "--group", "--max-new-tokens");
        SamplingParams sampling = new SamplingParams(temperature, 1.0, 0, maxNewTokens, new int[] {stopToken});
        return new LocalGrpoRun.Config(steps, prompts,
                new RolloutScoring(grpo, saliency, alpha > 0 || saliencyMetrics, sampling, 256, 1),
                LearningRateSchedule.constant(lr, 0), new AdamW.Config(0.9, 0.999, 1e-8, 0.0, AdamW.DecayScope.ALL),
                1.0, TrainConfig.defaults().optimizer().maxSkippedSteps(), evalEvery, evalSize, maxNewTokens, seed);
    }

    /** Reads f32 or bf16 in any case, as train's weight_storage key does. */
    static final class WeightStorageName implements picocli.CommandLine.ITypeConverter<WeightStorage> {
        @Override
        public WeightStorage convert(String value) {
            return WeightStorage.valueOf(value.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
