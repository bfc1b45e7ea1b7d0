package org.atmanrl.driver.train;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.driver.config.MemoryLimits;
import org.atmanrl.driver.config.MemoryPlan;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainConfigLoader;
import org.atmanrl.driver.promote.GateRule;
import org.atmanrl.driver.promote.Promotion;
import org.atmanrl.driver.promote.PromotionGate;
import org.atmanrl.driver.promote.PromotionTarget;
import org.atmanrl.driver.spark.ConsoleProgress;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.driver.spark.RunLock;
import org.atmanrl.driver.spark.RunStatus;
import org.atmanrl.driver.spark.SparkSetup;
import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.driver.spark.TrainInputs;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.bytedeco.javacpp.Pointer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import scala.Tuple2;

/** {@code atmanrl train}: AtManRL GRPO as a Spark application. */
@Command(name = "train",
        sortOptions = false,
        description = {
            "Runs AtManRL GRPO training as a Spark application (docs/design.md 3).",
            "",
            "Per step the driver draws prompts_per_step prompts, splits them over",
            "'partitions' Spark tasks (a prompt's whole group in one task) and broadcasts",
            "the policy. Each task generates, verifies, fits AtMan saliency masks and",
            "returns gradient sums; the driver adds them in partition order, clips the",
            "sum and steps AdamW. The same config and partitions give bit-identical",
            "weights.",
            "",
            "That is mode: sync. With mode: barrier (docs/design.md 3.5) each task is a",
            "rank holding a replica for a stage of steps; the ranks reduce-scatter their",
            "gradients, each steps AdamW on its shard and they all-gather the weights, so",
            "the driver holds no model; the weights and moments are sync mode's, bit for",
            "bit, at the same partitions.",
            "",
            "The config is one YAML or JSON file (deploy/configs/embedded.yaml is the",
            "documented example); --set overrides a key. The run directory ('output')",
            "gets config.yaml, metrics.jsonl (one JSON object per step), checkpoints/,",
            "model/ (the final policy, Hugging Face layout) and summary.json.",
            "",
            "With lora.rank > 0 only LoRA adapters on the frozen model train, are",
            "broadcast and checkpointed (docs/design.md 3.4); model/ is then a PEFT",
            "adapter directory, which 'atmanrl merge' turns into a plain HF directory.",
            "",
            "The master is spark-submit's --master, else spark.master in the config, else",
            "local[*] with Spark's task retries. Under spark-submit, use the same main",
            "class and arguments.",
            "",
            "For a scheduled pipeline (docs/training-on-spark.md \"Scheduled retraining\"):",
            "--resume makes one command line safe to run again after any failure;",
            "--promote-to publishes the model only when the gate holds against the model",
            "already there; the exit code says why the run stopped; a lock file keeps a",
            "second job off the same output and promotion target.",
            ""},
        exitCodeListHeading = "%nExit codes (summary.json's status says the same):%n",
        exitCodeList = {
            "0:done (or stopped at --stop-after), promoted if --promote-to",
            "1:input or config error (one line says which); nothing written",
            "2:usage error: an unknown or malformed option",
            "3:stopped by the NaN guard; --resume retries the step",
            "4:trained, but the gate did not hold; promoted model unchanged",
            "130:interrupted by SIGINT (143: SIGTERM); --resume continues"})
public final class TrainCommand implements Callable<Integer> {
    /** Prompt length --print-config plans for, reading no data: a chat-templated GSM8K question fits. */
    static final int ASSUMED_PROMPT_TOKENS = 256;

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "Read the config from FILE, a YAML (.yaml, .yml) or JSON (.json) file on any Hadoop path.")
    private String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override one config key after the file (repeatable), for example --set partitions=4.")
    private List<String> sets = new ArrayList<>();

    @Option(names = "--resume", description = "Continue the run in 'output' from its newest complete checkpoint;"
            + " start it when there is none; train nothing (but still gate) when it is finished.")
    private boolean resume;

    @Option(names = "--stop-after", paramLabel = "STEP",
            description = "Stop (with a checkpoint) once this step (0 or more) is done; --resume continues it.")
    private Long stopAfter;

    @Option(names = "--promote-to", paramLabel = "DIR",
            description = "After the final evaluation, publish model/ to DIR (any Hadoop path) by an atomic rename"
                    + " if the gate holds against the summary stored with the model already there (the first run"
                    + " always publishes); the replaced model is kept as DIR.previous.")
    private String promoteTo;

    @Option(names = "--gate", paramLabel = "RULE", description = "A rule of the promotion gate (repeatable), "
            + GateRule.SYNTAX + ": the final evaluation's METRIC may be worse than the promoted model's by at most"
            + " MARGIN. Default: accuracy:0.02.")
    private List<String> gates = new ArrayList<>();

    @Option(names = "--print-config", description = "Print the resolved config and exit without training.")
    private boolean printConfig;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        if (stopAfter != null && stopAfter < 0) {
            throw new ParameterException(spec.commandLine(), "--stop-after must be a step, 0 or more, got " + stopAfter);
        }
        if (promoteTo == null && !gates.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--gate needs --promote-to");
        }
        // a config fault is bad input: one line naming file, key and fault, exit 1 (UserErrorHandler)
        Configuration hadoop = new Configuration();
        TrainConfig resolved = TrainConfigLoader.load(hadoop, config, sets);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (printConfig) {
            out.print(resolved.toYaml());
            out.flush();
            // stderr: stdout stays the YAML file that loads back (deploy/configs/embedded.yaml)
            err.print(planPreview(resolved, hadoop));
            err.flush();
            return 0;
        }
        Promotion promotion = promotion(resolved, hadoop);
        // every input read and checked before Spark starts: a fault is one line, and nothing is written
        TrainInputs.Checked inputs = TrainInputs.check(resolved, hadoop, resume);
        if (promotion != null) promotion.target().check(promotion.gate());
        Path outPath = new Path(resolved.output());
        RunDirectory run = new RunDirectory(HadoopFiles.fileSystem(outPath, hadoop), outPath);
        MemoryPlan plan = memoryPlan(resolved, inputs.model(), inputs.longestPrompt());
        // a finished run trains nothing, so only a run that will train is held to the plan
        if (!(resume && run.finishedAt(resolved.steps()))) plan.check(limits(resolved));
        RunStatus status;
        try (RunLock lock = RunLock.acquireDirectory(run.fs(), run.root(), "output")) {
            if (resume && run.finishedAt(resolved.steps())) {
                // the same command again after success: nothing is trained or rewritten
                status = run.status().orElseThrow();
                out.printf("already finished after step %d: %s (status %s)%n", resolved.steps(), run.root(),
                        status.jsonName());
            } else {
                status = train(resolved, plan, out, err).status();
            }
            if (lock.lost().isPresent()) {
                // a job silent for a whole lease was taken over (docs/training-on-spark.md "Scheduled retraining")
                throw new UserInputException("output " + run.root() + ": " + lock.lost().get() + "; not promoting");
            }
            if (promotion != null && status.finished()) {
                PromotionTarget target = promotion.target();
                try (RunLock targetLock = RunLock.acquireTarget(target.fs(), target.path(), "promotion target")) {
                    status = promotion.apply(run, line -> out.println("promotion: " + line));
                }
            }
        }
        out.println("status " + status.jsonName() + ", exit code " + status.exitCode());
        out.flush();
        return status.exitCode();
    }

    private SparkTraining.Outcome train(TrainConfig resolved, MemoryPlan plan, PrintWriter out, PrintWriter err)
            throws Exception {
        err.println("train: resolved config (saved as " + resolved.output() + "/config.yaml):");
        err.print(resolved.toYaml().indent(2));
        err.print(planText(resolved, plan).indent(2));
        err.flush();
        SparkTraining.Outcome outcome;
        try (JavaSparkContext sc = SparkSetup.start(resolved.spark(), "atmanrl train");
             ConsoleProgress progress = new ConsoleProgress(err, resolved.steps(), 0, ConsoleProgress.interactive())) {
            outcome = new SparkTraining(sc, resolved, progress).run(resume, stopAfter == null ? -1 : stopAfter);
        }
        out.printf("%s after step %d of %d in %.0f s: %s%n", outcome.finished() ? "finished" : "stopped",
                outcome.lastStep(), resolved.steps(), outcome.seconds(), outcome.runDir());
        if (outcome.before() != null || outcome.after() != null) {
            out.print(SummaryTable.render(outcome));
        }
        out.flush();
        return outcome;
    }

    /**
     * The memory limits this run is checked against (docs/design.md 3.3): the Spark settings it starts
     * with, this JVM's heap and ND4J's off-heap limit.
     */
    private static MemoryLimits limits(TrainConfig c) {
        Map<String, String> spark = new HashMap<>();
        for (Tuple2<String, String> kv : SparkSetup.conf(c.spark(), "atmanrl train").getAll()) spark.put(kv._1(), kv._2());
        Runtime jvm = Runtime.getRuntime();
        return MemoryLimits.of(spark, c.partitions(), jvm.maxMemory(), Pointer.maxBytes(), jvm.availableProcessors());
    }

    /** The plan's lines and the resident estimate of this JVM (docs/design.md 3.3). */
    private static String planText(TrainConfig c, MemoryPlan plan) {
        return plan.toText() + plan.residentText(limits(c).local(), Runtime.getRuntime().maxMemory());
    }

    private static MemoryPlan memoryPlan(TrainConfig c, LlamaConfig model, int longestPrompt) {
        return MemoryPlan.of(c, model, longestPrompt, limits(c).tasksPerExecutor());
    }

    /**
     * The plan for --print-config, which reads no data: prompts of {@link #ASSUMED_PROMPT_TOKENS}
     * tokens. Without the model's config.json, one line says so; the YAML was printed either way.
     */
    private static String planPreview(TrainConfig c, Configuration hadoop) {
        LlamaConfig model;
        try {
            Path dir = new Path(c.model());
            model = ModelDirectory.readConfig(HadoopFiles.fileSystem(dir, hadoop), dir).model();
        } catch (Exception e) {
            return "memory plan: needs the model's config.json (model " + c.model() + "); not computed\n";
        }
        return planText(c, memoryPlan(c, model, ASSUMED_PROMPT_TOKENS)) + "(prompts assumed " + ASSUMED_PROMPT_TOKENS
                + " tokens long; train uses the longest prompt of its data)\n";
    }

    /**
     * The promotion --promote-to and --gate ask for, or null. The target may be neither the run directory nor inside it, nor hold it.
     */
    private Promotion promotion(TrainConfig c, Configuration hadoop) {
        if (promoteTo == null) return null;
        List<GateRule> rules = new ArrayList<>();
        for (String g : gates) {
            try {
                rules.add(GateRule.parse(g));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--gate " + e.getMessage());
            }
        }
        PromotionGate gate;
        try {
            gate = rules.isEmpty() ? PromotionGate.DEFAULT : new PromotionGate(rules);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--gate: " + e.getMessage());
        }
        if (!c.eval().faithfulness()) {
            for (GateRule r : gate.rules()) {
                if (r.metric().startsWith("faithfulness.")) {
                    throw new UserInputException("--gate " + r.metric() + " needs the faithfulness probes; set"
                            + " eval.faithfulness true");
                }
            }
        }
        Path target = new Path(promoteTo);
        FileSystem fs = HadoopFiles.fileSystem(target, hadoop);
        Path output = new Path(c.output());
        Path t = UserPaths.canonical(fs, target);
        Path o = UserPaths.canonical(HadoopFiles.fileSystem(output, hadoop), output);
        if (UserPaths.isWithin(t, o) || UserPaths.isWithin(o, t)) {
            throw new UserInputException("--promote-to " + target + " and output " + output + " overlap; publish to a"
                    + " directory outside the run directory");
        }
        return new Promotion(new PromotionTarget(fs, target), gate);
    }
}
