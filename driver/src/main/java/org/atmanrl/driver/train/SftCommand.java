package org.atmanrl.driver.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.sft.SftConfig;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.executor.sft.SftTrainer;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code atmanrl sft}: the embedded model trained from scratch on the embedded task. */
@Command(name = "sft",
        sortOptions = false,
        description = {
            "Trains the embedded tiny model from scratch on the embedded task.",
            "",
            "It trains in this process and saves a Hugging Face model directory, the",
            "starting point of AtManRL training. The task's prompts look like",
            "'Q: 23+45-17=?' and its completions like '23+45=68 68-17=51 #### 51'. The",
            "recipe is docs/design.md 2.4's: AdamW lr 3e-3, warm-up 100 steps then cosine to 10%%,",
            "weight decay 0.01, betas (0.9, 0.98), batch 128, clip 1.0, loss on",
            "completion tokens only. Greedy test accuracy is measured every --eval-every",
            "steps. Progress goes to stderr; the directory gets sft_log.jsonl, one JSON",
            "object per step.",
            "",
            "With --task arithmetic-hint the prompts carry a hint ('Q: 23+45-17=? H:51',",
            "right with probability --hint-accuracy) and a share --decorative-share of the",
            "reference completions is unfaithful: an unrelated problem's steps, then the",
            "hint as the answer. The computing completions are trained on prompts whose",
            "hint is right with probability --computing-hint-accuracy, so that their",
            "answers come from their chain of thought. The model then writes both kinds,",
            "the starting point on which the saliency reward can show its effect",
            "(docs/design.md 2.5).",
            ""})
public final class SftCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Create the model directory DIR, a local path or Hadoop URI that must not exist.")
    private String out;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "800", description = "Take N optimizer steps (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128", description = "Train on N problems per step (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop after this many seconds, then evaluate and save; 0 means no limit (default:"
                    + " ${DEFAULT-VALUE}).")
    private long timeLimit;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "100", description = "Evaluate every N steps (default: ${DEFAULT-VALUE}).")
    private int evalEvery;

    @Option(names = "--eval-size", paramLabel = "N", defaultValue = "500", description = "Evaluate on N test problems each time (default: ${DEFAULT-VALUE}).")
    private int evalSize;

    @Option(names = "--control-share", paramLabel = "F", defaultValue = "0",
            description = "Draw this share of each batch from the CoT-ignored control task (default:"
                    + " ${DEFAULT-VALUE}).")
    private double controlShare;

    @Option(names = "--task", paramLabel = "arithmetic|arithmetic-hint", defaultValue = "arithmetic",
            description = "Train on this embedded task: arithmetic (docs/design.md 2.4's), or arithmetic-hint, whose"
                    + " prompts carry a hint and whose completions mix computing and decorative chains of"
                    + " thought (default: ${DEFAULT-VALUE}).")
    private String task;

    @Option(names = "--hint-accuracy", paramLabel = "H", defaultValue = "0.8",
            description = "With arithmetic-hint, make a prompt's hint the right answer with probability H (default:"
                    + " ${DEFAULT-VALUE}).")
    private double hintAccuracy;

    @Option(names = "--decorative-share", paramLabel = "F", defaultValue = "0.5",
            description = "With arithmetic-hint, make this share of the reference completions decorative: their"
                    + " chain of thought is decoration and their answer is the hint (default:"
                    + " ${DEFAULT-VALUE}).")
    private double decorativeShare;

    @Option(names = "--computing-hint-accuracy", paramLabel = "H", defaultValue = "0.5",
            description = "With arithmetic-hint, make the hint right with probability H in the prompts of the"
                    + " computing completions. At 0.5 the hint does not predict their answers, so the model"
                    + " learns to answer them from the chain of thought; at --hint-accuracy it learned to copy"
                    + " the hint into every answer (default: ${DEFAULT-VALUE}).")
    private double computingHintAccuracy;

    @Option(names = "--difficulty", paramLabel = "default|harder", defaultValue = "default",
            description = "Generate default problems, two chained + or - on operands 10-49 (docs/design.md 2.4), or harder"
                    + " ones, 3-5 operations on operands 10-999 (default: ${DEFAULT-VALUE}).")
    private String difficulty;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed the initialisation and the batches with N (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        ArithmeticDifficulty level = switch (difficulty) {
            case "default" -> ArithmeticDifficulty.DEFAULT;
            case "harder" -> ArithmeticDifficulty.HARDER;
            default -> throw new ParameterException(spec.commandLine(), "--difficulty must be default or harder, got '"
                    + difficulty + "'");
        };
        boolean hinted = switch (task) {
            case "arithmetic" -> false;
            case "arithmetic-hint" -> true;
            default -> throw new ParameterException(spec.commandLine(), "--task must be arithmetic or arithmetic-hint,"
                    + " got '" + task + "'");
        };
        if (!(hintAccuracy >= 0 && hintAccuracy <= 1) || !(decorativeShare >= 0 && decorativeShare <= 1)
                || !(computingHintAccuracy >= 0 && computingHintAccuracy <= 1)) {
            throw new ParameterException(spec.commandLine(), "--hint-accuracy, --computing-hint-accuracy and"
                    + " --decorative-share must be in [0, 1], got " + hintAccuracy + ", " + computingHintAccuracy
                    + " and " + decorativeShare);
        }
        if (hinted && controlShare > 0) {
            throw new ParameterException(spec.commandLine(), "--control-share is for --task arithmetic; arithmetic-hint"
                    + " mixes in its own decorative completions (--decorative-share)");
        }
        SftConfig config;
        try {
            SftConfig d = SftConfig.defaults();
            config = new SftConfig(steps, batch, d.learningRate(), Math.min(100, steps / 8), d.minLrRatio(),
                    d.weightDecay(), d.beta1(), d.beta2(), d.clipNorm(), evalEvery, evalSize, controlShare, seed, timeLimit);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Path dir = new Path(out);
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        ModelDirectory.requireAbsent(fs, dir);
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper json = new ObjectMapper();
        StringBuilder log = new StringBuilder();
        try (EmbeddedData data = hinted ? EmbeddedData.hinted(level, seed, evalSize, hintAccuracy, decorativeShare,
                computingHintAccuracy)
                : new EmbeddedData(level, seed, evalSize);
             LlamaWeights weights = LlamaWeights.random(EmbeddedModel.config(), seed, DataType.FLOAT)) {
            SftTrainer trainer = new SftTrainer(config, data.encoder, p -> {
                ObjectNode o = json.createObjectNode();
                o.put("step", p.step()).put("loss", p.loss()).put("lr", p.learningRate()).put("grad_norm", p.gradNorm())
                        .put("tokens", p.tokens()).put("seconds", p.seconds());
                if (p.testAccuracy() != null) {
                    o.put("test_accuracy", p.testAccuracy().value()).put("test_parsed", p.testAccuracy().parsedShare());
                }
                log.append(o).append('\n');
                if (p.step() % 10 == 0 || p.testAccuracy() != null) {
                    err.printf("sft: step %d/%d loss %.4f lr %.2e |g| %.2f %.0f s%s%n", p.step(), config.steps(), p.loss(),
                            p.learningRate(), p.gradNorm(), p.seconds(),
                            p.testAccuracy() == null ? "" : "  test accuracy " + p.testAccuracy());
                    err.flush();
                }
            });
            List<SftTrainer.Progress> progress = trainer.train(weights, data.train,
                    controlShare > 0 ? data.controlTrain : null, data.test);
            Map<String, byte[]> files = new LinkedHashMap<>(EmbeddedModel.tokenizerFiles());
            files.put("sft_log.jsonl", log.toString().getBytes(StandardCharsets.UTF_8));
            ModelDirectory.save(fs, dir, EmbeddedModel.hfConfig(), weights, SaveOptions.of(SafetensorsDType.F32), files);
            SftTrainer.Progress last = progress.get(progress.size() - 1);
            spec.commandLine().getOut().printf("wrote %s after %d steps in %.0f s: test accuracy %s%n",
                    fs.makeQualified(dir), last.step(), last.seconds(), last.testAccuracy());
        }
        return 0;
    }
}
