package org.atmanrl.driver.train;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.spark.ConsoleProgress;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.driver.spark.SparkSetup;
import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.model.io.HadoopFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code atmanrl demo}: the whole story on the embedded task, on local Spark. */
@Command(name = "demo",
        sortOptions = false,
        description = {
            "The main job: the whole AtManRL story on the embedded task, no downloads.",
            "",
            "1. SFT warm start of the embedded tiny model (DIR/sft; reused when there).",
            "2. AtManRL GRPO on local Spark with --partitions tasks per step, evaluated",
            "   before and after (test accuracy, N, C, S, r_sal), in DIR/demo-<time>.",
            "3. A summary table, printed and saved as summary.txt in the run directory.",
            ""})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--dir", defaultValue = "runs", paramLabel = "DIR",
            description = "Where the SFT model and the run go (default: ${DEFAULT-VALUE}).")
    private String dir;

    @Option(names = "--sft-steps", defaultValue = "800", paramLabel = "N",
            description = "SFT steps when DIR/sft does not exist yet (default: ${DEFAULT-VALUE}).")
    private int sftSteps;

    @Option(names = "--steps", defaultValue = "30", paramLabel = "N", description = "GRPO steps (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--prompts", defaultValue = "24", paramLabel = "B", description = "Prompts per step (default: ${DEFAULT-VALUE}).")
    private int prompts;

    @Option(names = "--partitions", defaultValue = "2", paramLabel = "P", description = "Spark tasks per step (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--eval-size", defaultValue = "500", paramLabel = "N", description = "Test problems evaluated before and after (default: ${DEFAULT-VALUE}).")
    private int evalSize;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a training config key (repeatable), as in 'train'.")
    private java.util.List<String> sets = new java.util.ArrayList<>();

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path root = new Path(dir);
        FileSystem fs = HadoopFiles.fileSystem(root, new Configuration());
        Path sft = new Path(root, "sft");
        Path run = new Path(root, "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // the whole config is checked before the SFT, so a bad --set fails at once
        TrainConfig config = TrainConfig.defaults().with("model", sft.toString()).with("output", run.toString())
                .with("steps", Integer.toString(steps)).with("prompts_per_step", Integer.toString(prompts))
                .with("partitions", Integer.toString(partitions)).with("data.test_size", Integer.toString(Math.max(evalSize, TrainConfig.defaults().data().testSize())))
                .with("eval.size", Integer.toString(evalSize))
                .with("checkpoint.every", "0");
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq < 0) throw new CommandLine.ParameterException(spec.commandLine(), "--set needs KEY=VALUE, got '" + s + "'");
            config = config.with(s.substring(0, eq), s.substring(eq + 1));
        }
        double sftSeconds = 0;
        if (fs.exists(sft)) {
            err.println("demo: reusing the SFT model in " + sft);
        } else {
            err.println("demo: 1/3 SFT warm start of the embedded model (" + sftSteps + " steps) into " + sft);
            err.flush();
            long s0 = System.nanoTime();
            int code = new CommandLine(new SftCommand()).setOut(err).setErr(err).execute("--out", sft.toString(),
                    "--steps", Integer.toString(sftSteps), "--eval-every", Integer.toString(sftSteps),
                    "--eval-size", Integer.toString(evalSize));
            if (code != 0) return code;
            sftSeconds = (System.nanoTime() - s0) / 1e9;
        }
        err.println("demo: 2/3 AtManRL GRPO on local Spark, " + partitions + " tasks per step, into " + run);
        err.flush();
        SparkTraining.Outcome outcome;
        try (JavaSparkContext sc = SparkSetup.start(config.spark(), "atmanrl demo");
             ConsoleProgress progress = new ConsoleProgress(err, config.steps(), 0, ConsoleProgress.interactive())) {
            outcome = new SparkTraining(sc, config, progress).run(false, -1);
        }
        double total = (System.nanoTime() - t0) / 1e9;
        String table = "AtManRL demo: embedded arithmetic task, " + config.steps() + " GRPO steps x "
                + config.promptsPerStep() + " prompts x G=" + config.grpo().groupSize() + ", alpha "
                + config.saliency().alpha() + ", P=" + config.partitions() + "\n"
                + SummaryTable.render(outcome)
                + String.format("time: SFT %.0f s%s, GRPO with evaluations %.0f s, total %.0f s%n", sftSeconds,
                        sftSeconds == 0 ? " (reused)" : "", outcome.seconds(), total)
                + "AOC: early-answering area over the curve; mistake, filler: share of answers changed by an added"
                + " mistake or by filler for the CoT (Lanham et al. 2023; higher = the answer rests more on the CoT)\n"
                + "run directory: " + outcome.runDir() + "\n"
                + "charts, heat maps: deploy/atmanrl report " + outcome.runDir() + "\n";
        new RunDirectory(HadoopFiles.fileSystem(run, new Configuration()), run)
                .write("summary.txt", table.getBytes(StandardCharsets.UTF_8));
        err.println("demo: 3/3 summary");
        out.print(table);
        out.flush();
        return 0;
    }
}
