package org.atmanrl.driver.train;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainConfigLoader;
import org.atmanrl.driver.spark.ConsoleProgress;
import org.atmanrl.driver.spark.SparkSetup;
import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.driver.spark.TrainInputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code atmanrl train}: AtManRL GRPO as a Spark application. */
@Command(name = "train",
        sortOptions = false,
        description = {
            "Runs AtManRL GRPO training as a Spark application (docs/design.md 3, sync mode).",
            "",
            "Per step the driver draws prompts_per_step prompts, splits them over",
            "'partitions' Spark tasks (a prompt's whole group in one task) and broadcasts",
            "the policy. Each task generates, verifies, fits AtMan saliency masks and",
            "returns gradient sums; the driver adds them in partition order, clips the",
            "sum and steps AdamW. The same config and partitions give bit-identical",
            "weights.",
            "",
            "The config is one YAML or JSON file (deploy/configs/embedded.yaml is the",
            "documented example); --set overrides a key. The run directory ('output')",
            "gets config.yaml, metrics.jsonl (one JSON object per step), checkpoints/,",
            "model/ (the final policy, Hugging Face layout) and summary.json.",
            "",
            "The master is spark-submit's --master, else spark.master in the config, else",
            "local[*] with Spark's task retries. Under spark-submit, use the same main",
            "class and arguments.",
            ""})
public final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "Read the config from FILE, a YAML (.yaml, .yml) or JSON (.json) file on any Hadoop path.")
    private String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override one config key after the file (repeatable), for example --set partitions=4.")
    private List<String> sets = new ArrayList<>();

    @Option(names = "--resume", description = "Continue the run in 'output' from its newest complete checkpoint.")
    private boolean resume;

    @Option(names = "--stop-after", paramLabel = "STEP",
            description = "Stop (with a checkpoint) once this step (0 or more) is done; --resume continues it.")
    private Long stopAfter;

    @Option(names = "--print-config", description = "Print the resolved config and exit without training.")
    private boolean printConfig;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        if (stopAfter != null && stopAfter < 0) {
            throw new ParameterException(spec.commandLine(), "--stop-after must be a step, 0 or more, got " + stopAfter);
        }
        // a config fault is bad input: one line naming file, key and fault, exit 1 (UserErrorHandler)
        TrainConfig resolved = TrainConfigLoader.load(new Configuration(), config, sets);
        PrintWriter out = spec.commandLine().getOut();
        if (printConfig) {
            out.print(resolved.toYaml());
            out.flush();
            return 0;
        }
        // every input read and checked before Spark starts: a fault is one line, and nothing is written
        TrainInputs.check(resolved, new Configuration(), resume);
        PrintWriter err = spec.commandLine().getErr();
        err.println("train: resolved config (saved as " + resolved.output() + "/config.yaml):");
        err.print(resolved.toYaml().indent(2));
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
        return 0;
    }
}
