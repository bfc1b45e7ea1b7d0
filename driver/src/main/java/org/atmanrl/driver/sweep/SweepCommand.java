package org.atmanrl.driver.sweep;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.spark.SparkSetup;
import org.atmanrl.driver.spark.TrainInputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code atmanrl sweep}: an ablation grid of training runs on one Spark application. */
@Command(name = "sweep",
        sortOptions = false,
        description = {
            "Trains every point of a grid of config values as its own 'train' run.",
            "",
            "All points train in one Spark application, and the sweep tabulates their",
            "results. The grid file (YAML or JSON) looks like this:",
            "",
            "  base: ../configs/embedded.yaml # a training config, relative to this file",
            "                                 # (optional)",
            "  set:                           # overrides for every point (optional)",
            "    model: runs/sft",
            "    steps: 30",
            "  grid:                          # config key -> values; points = the product",
            "    saliency.alpha: [0, 0.25, 0.5, 1]",
            "    seed: [1, 2]",
            "  labels:                        # short names in point names (optional;",
            "    saliency.alpha: alpha        #   default: the key's last part)",
            "  output: runs/sweeps/alpha      # the sweep directory",
            "  parallel_points: 1             # points trained at once (default 1)",
            "",
            "Each point's config is base, then set, then --set, then its grid values, with",
            "output OUTPUT/points/NAME. Every point's config is checked before anything",
            "trains. Points run in nested-loop order, the first grid key outermost. Their",
            "names are label=value joined by commas (alpha=0.25,seed=1), with characters",
            "other than letters, digits and _.+-=, made _.",
            "",
            "OUTPUT gets sweep.yaml (the resolved grid), points/NAME/ (each a train run",
            "directory), results.csv, results.json ('points') and results.html, with one",
            "row per point: grid values, status, steps, seconds, accuracy, r_sal, N, C, S,",
            "faithfulness and probe metrics when evaluated, accuracy and two probe",
            "metrics before training, and a message. They are rewritten after every",
            "point. A CSV text cell that starts with = + - @ or a tab gets a leading ' so",
            "that a spreadsheet does not run it as a formula; numbers such as -0.5 stay",
            "numbers.",
            "",
            "With a seed key in the grid, points that differ only in their seed form a",
            "group. results_over_seeds.csv, results.json ('aggregated'), results.html and",
            "the console then give per group and metric, over its finished points: n, the",
            "mean, the sample standard deviation sd (n-1) and the 95%% confidence interval",
            "of the mean, mean +- t(0.975, n-1) * sd / sqrt(n). One finished point gives",
            "no sd or interval.",
            "",
            "Run the sweep again to continue it: finished points (summary.json) are kept,",
            "a point with a run but no summary resumes from its newest checkpoint, and the",
            "rest start. A grid that resolves differently from sweep.yaml is refused. A",
            "point that fails is recorded and the sweep goes on; the exit code is then 1.",
            "",
            "With parallel_points > 1, that many points train at once from driver threads,",
            "each in a FAIR scheduler pool. They share the cores: on local Spark, P tasks",
            "of k points want k x P slots, and each executor keeps k models in memory.",
            ""})
public final class SweepCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--grid", required = true, paramLabel = "FILE", description = "Read the grid from FILE (.yaml, .yml or .json) on any Hadoop path.")
    private String grid;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a config key for every point, after the grid file's set, e.g. --set model=runs/sft (repeatable).")
    private List<String> sets = new ArrayList<>();

    @Option(names = "--dry-run", description = "Print the points and how each config differs from the base, and exit.")
    private boolean dryRun;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Configuration hadoop = new Configuration();
        SweepPlan plan = SweepPlan.of(SweepGrid.read(hadoop, grid, sets), hadoop);
        SweepRun run = SweepRun.inspect(plan, hadoop, err);
        printPlan(dryRun ? out : err, plan, run.starts());
        if (dryRun) {
            out.println("base config (" + (plan.grid().base() == null ? "defaults" : plan.grid().base()) + " with set):");
            out.print(plan.base().toYaml().indent(2));
            for (SweepPlan.Point p : plan.points()) {
                out.println(p.name() + ":");
                for (Map.Entry<String, String> c : plan.changes(p).entrySet()) {
                    out.println("  " + c.getKey() + ": " + c.getValue());
                }
            }
            out.flush();
            return 0;
        }
        // every remaining point's inputs (model, data, output) checked before Spark starts
        for (SweepPlan.Point p : run.remaining()) {
            TrainInputs.check(p.config(), hadoop, run.starts().get(p.index()) == SweepRun.Start.RESUME);
        }
        run.begin();
        int failed = 0;
        if (!run.remaining().isEmpty()) {
            try (JavaSparkContext sc = SparkSetup.start(SparkSetup.forConcurrentRuns(
                    SparkSetup.conf(plan.base().spark(), "atmanrl sweep " + plan.grid().output()),
                    plan.grid().parallelPoints()))) {
                failed = run.train(sc);
            }
        }
        String csv = plan.grid().output() + "/results.csv";
        out.print(TextTable.render(run.results().table()));
        String noSeedTable = run.results().overSeedsOmitted();
        if (noSeedTable == null) {
            out.println();
            out.println("aggregated over seeds (mean +- half-width of the 95% confidence interval; seeds finished/all; "
                    + SweepResults.OVER_SEEDS_CSV + " has sd, interval and n):");
            out.print(TextTable.renderOverSeeds(run.results().overSeeds()));
        } else {
            out.println("sweep: no table aggregated over seeds: " + noSeedTable);
        }
        if (failed > 0) {
            err.println("sweep: " + failed + " of " + plan.points().size() + " points failed (see " + csv + ")");
            err.flush();
            out.flush();
            return 1;
        }
        out.println("sweep: " + plan.points().size() + " points finished: " + csv);
        out.flush();
        return 0;
    }

    private static void printPlan(PrintWriter w, SweepPlan plan, List<SweepRun.Start> starts) {
        StringBuilder axes = new StringBuilder();
        for (GridAxis a : plan.grid().axes()) {
            axes.append(axes.length() == 0 ? "" : " x ").append(a.key()).append(" (").append(a.values().size()).append(')');
        }
        w.println("sweep: " + plan.points().size() + " points, " + axes + ", " + plan.grid().parallelPoints()
                + " at a time, into " + plan.grid().output() + ":");
        for (SweepPlan.Point p : plan.points()) {
            w.println("sweep:   [" + (p.index() + 1) + "/" + plan.points().size() + "] " + p.name() + " ("
                    + starts.get(p.index()).describe() + ")");
        }
        w.flush();
    }
}
