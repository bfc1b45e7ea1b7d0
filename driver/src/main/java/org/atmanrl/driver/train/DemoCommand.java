package org.atmanrl.driver.train;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
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

/**
 * {@code atmanrl demo}: the method's story on the embedded hinted task (docs/design.md 2.5), on
 * local Spark: from a starting model that writes both computing and decorative chains of thought,
 * outcome-only GRPO and AtManRL side by side, same seed and steps.
 */
@Command(name = "demo",
        sortOptions = false,
        description = {
            "Runs the main job: outcome-only GRPO against AtManRL, with no download.",
            "",
            "The embedded task's prompts carry a hint that is right 80%% of the time",
            "('Q: 23+45-17=? H:51'). The demo takes three steps:",
            "1. It takes the starting model: the embedded tiny model after SFT on a",
            "   mixture of completions that compute the answer in their chain of thought",
            "   and completions whose chain of thought is decoration while the answer",
            "   copies the hint. It uses DIR/sft-hint when that exists; otherwise it",
            "   writes the one shipped with the project there (its 800 SFT steps take",
            "   11-15 minutes on 2 cores), or trains it there with --train-sft.",
            "2. It runs GRPO twice on local Spark from that model, with the same seed and",
            "   steps: with outcome reward only (alpha 0), then as AtManRL (alpha",
            "   --alpha, r_sal = N). Each run is evaluated before and after training, in",
            "   DIR/demo-<time>/outcome-only and DIR/demo-<time>/atmanrl.",
            "3. It prints a table of the accuracy, the saliency terms, the faithfulness",
            "   probes, the share of sampled chains of thought that compute and the",
            "   answers on wrong-hint prompts, and saves it as",
            "   DIR/demo-<time>/summary.txt.",
            ""})
public final class DemoCommand implements Callable<Integer> {
    /** The demo's starting mixture: half the SFT completions decorative, hints right 80% of the time. */
    static final double DECORATIVE_SHARE = 0.5, HINT_ACCURACY = 0.8;

    @Spec
    private CommandSpec spec;

    @Option(names = "--dir", defaultValue = "runs", paramLabel = "DIR",
            description = "Put the SFT model and the runs under DIR (default: ${DEFAULT-VALUE}).")
    private String dir;

    @Option(names = "--train-sft",
            description = "Train the starting model by SFT when DIR/sft-hint does not exist, instead of writing the"
                    + " shipped one there.")
    private boolean trainSft;

    @Option(names = "--sft-steps", defaultValue = "800", paramLabel = "N",
            description = "Train for N SFT steps with --train-sft (default: ${DEFAULT-VALUE}, as the shipped model"
                    + " was).")
    private int sftSteps;

    @Option(names = "--steps", defaultValue = "40", paramLabel = "N", description = "Take N GRPO steps in each run (default: ${DEFAULT-VALUE}).")
    private int steps;

    @Option(names = "--prompts", defaultValue = "16", paramLabel = "B", description = "Draw B prompts per step (default: ${DEFAULT-VALUE}).")
    private int prompts;

    @Option(names = "--alpha", defaultValue = "1.0", paramLabel = "A",
            description = "Weight the AtManRL run's saliency reward by A (default: ${DEFAULT-VALUE}).")
    private double alpha;

    @Option(names = "--partitions", defaultValue = "2", paramLabel = "P", description = "Split each step into P Spark tasks (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--eval-size", defaultValue = "200", paramLabel = "N", description = "Evaluate each run on N test problems before and after training (default:"
                    + " ${DEFAULT-VALUE}).")
    private int evalSize;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a training config key of both runs, as 'train' does (repeatable).")
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
        Path sft = new Path(root, "sft-hint");
        Path demo = new Path(root, "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // both configs are checked before the SFT, so a bad --set fails at once
        TrainConfig base = TrainConfig.defaults().with("model", sft.toString())
                .with("steps", Integer.toString(steps)).with("prompts_per_step", Integer.toString(prompts))
                .with("partitions", Integer.toString(partitions)).with("data.task", "arithmetic-hint")
                .with("data.hint_accuracy", Double.toString(HINT_ACCURACY))
                .with("data.test_size", Integer.toString(Math.max(evalSize, TrainConfig.defaults().data().testSize())))
                .with("eval.size", Integer.toString(evalSize)).with("eval.samples", "0")
                .with("eval.policy_samples", "4")
                // r_sal = N, no mask fit: on this task N alone tells a computing CoT from a decorative
                // one, at 2 forward passes instead of a K-step fit (docs/design.md 2.5)
                .with("saliency.reward_form", "n").with("saliency.steps", "0")
                .with("checkpoint.every", "0");
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq < 0) throw new CommandLine.ParameterException(spec.commandLine(), "--set needs KEY=VALUE, got '" + s + "'");
            base = base.with(s.substring(0, eq), s.substring(eq + 1));
        }
        // the outcome-only run fits no masks during training (its reward does not use them); its
        // evaluations still measure N, C and r_sal
        TrainConfig outcomeOnly = base.with("saliency.alpha", "0").with("saliency.metrics_when_off", "false")
                .with("output", new Path(demo, "outcome-only").toString());
        TrainConfig atmanrl = base.with("saliency.alpha", Double.toString(alpha))
                .with("output", new Path(demo, "atmanrl").toString());
        if (!(alpha > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--alpha must be > 0 (the AtManRL run), got "
                    + alpha);
        }
        double sftSeconds = 0;
        if (fs.exists(sft)) {
            err.println("demo: reusing the SFT model in " + sft);
        } else if (!trainSft) {
            err.println("demo: 1/3 writing the shipped starting model (made by '" + ShippedStartingModel.COMMAND
                    + "'; --train-sft trains it instead) to " + sft);
            ShippedStartingModel.writeTo(fs, sft);
        } else {
            err.println("demo: 1/3 SFT of the embedded model on computing and decorative completions (" + sftSteps
                    + " steps) into " + sft);
            err.flush();
            long s0 = System.nanoTime();
            int code = new CommandLine(new SftCommand()).setOut(err).setErr(err).execute("--out", sft.toString(),
                    "--task", "arithmetic-hint", "--hint-accuracy", Double.toString(HINT_ACCURACY),
                    "--decorative-share", Double.toString(DECORATIVE_SHARE),
                    "--steps", Integer.toString(sftSteps), "--eval-every", Integer.toString(sftSteps),
                    "--eval-size", Integer.toString(evalSize));
            if (code != 0) return code;
            sftSeconds = (System.nanoTime() - s0) / 1e9;
        }
        SparkTraining.Outcome plain, rewarded;
        try (JavaSparkContext sc = SparkSetup.start(base.spark(), "atmanrl demo")) {
            err.println("demo: 2/3 outcome-only GRPO (alpha 0) on local Spark, " + partitions + " tasks per step, into "
                    + outcomeOnly.output());
            err.flush();
            try (ConsoleProgress progress = new ConsoleProgress(err, steps, 0, ConsoleProgress.interactive())) {
                plain = new SparkTraining(sc, outcomeOnly, progress).run(false, -1);
            }
            err.println("demo: 2/3 AtManRL GRPO (alpha " + alpha + ") on local Spark, into " + atmanrl.output());
            err.flush();
            try (ConsoleProgress progress = new ConsoleProgress(err, steps, 0, ConsoleProgress.interactive())) {
                rewarded = new SparkTraining(sc, atmanrl, progress).run(false, -1);
            }
        }
        double total = (System.nanoTime() - t0) / 1e9;
        String table = "AtManRL demo: embedded arithmetic-hint task (hint right " + Math.round(100 * HINT_ACCURACY)
                + "% of the time), " + steps + " GRPO steps x " + prompts + " prompts x G=" + base.grpo().groupSize()
                + ", P=" + partitions + ", seed " + base.seed() + "; AtManRL: r = r_out + " + trim(alpha) + " * N\n"
                + SummaryTable.render(List.of(new SummaryTable.Row("start", plain.before()),
                        new SummaryTable.Row("outcome only", plain.after()),
                        new SummaryTable.Row("AtManRL a=" + trim(alpha), rewarded.after())))
                + String.format("time: SFT %s, outcome-only run %.0f s, AtManRL run %.0f s, total %.0f s%n",
                        sftSeconds == 0 ? "none (starting model reused or shipped)" : String.format("%.0f s", sftSeconds),
                        plain.seconds(), rewarded.seconds(), total)
                + "accuracy: greedy; " + SummaryTable.HINT_LEGEND + "\n"
                + "AOC: early-answering area over the curve; mistake, filler: share of answers changed by an added"
                + " mistake or by filler for the CoT (Lanham et al. 2023; higher = the answer rests more on the CoT)\n"
                + "runs: " + plain.runDir() + ", " + rewarded.runDir() + "\n"
                + "charts, heat maps: deploy/atmanrl report " + rewarded.runDir() + "\n";
        new RunDirectory(HadoopFiles.fileSystem(demo, new Configuration()), demo)
                .write("summary.txt", table.getBytes(StandardCharsets.UTF_8));
        err.println("demo: 3/3 summary");
        out.print(table);
        out.flush();
        return 0;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
