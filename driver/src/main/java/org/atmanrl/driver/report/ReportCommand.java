package org.atmanrl.driver.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.driver.inspect.AdapterModels;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainConfigLoader;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code atmanrl report}: one self-contained HTML page about a training run. */
@Command(name = "report",
        sortOptions = false,
        description = {
            "Writes one self-contained HTML report of a training run, which opens offline.",
            "",
            "The page holds training curves from metrics.jsonl (reward, accuracy, N, C, S,",
            "r_sal, KL, gradient norm, learning rate, the step-time split), the",
            "evaluation points, the before/after table from summary.json, saliency heat",
            "maps of sample completions (the fitted mask m* beside the exhaustive AtMan",
            "reference and the gradient attribution) and the resolved config. The samples",
            "come from the run's saliency_samples.json; with --model, or when that file",
            "is missing and the run saved model/, they are computed here on the run's",
            "first test problems. The command prints the page's path.",
            ""},
        footer = {
            "",
            "Examples:",
            "  atmanrl report runs/grpo",
            "  atmanrl report runs/grpo --out /tmp/grpo.html --samples 8 \\",
            "      --model runs/grpo/model",
            ""})
public final class ReportCommand implements Callable<Integer> {
    public static final String DEFAULT_NAME = "report.html";

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "Report on RUN_DIR, a run directory written by atmanrl train.")
    private String runDir;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the page to FILE (default: RUN_DIR/" + DEFAULT_NAME + ").")
    private String out;

    @Option(names = "--samples", paramLabel = "K",
            description = "Show K sample completions as heat maps, at most " + SaliencySamples.MAX_SAMPLES
                    + ", or none with 0 (default: the run's, or 4 when computed here).")
    private Integer samples;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Compute the samples with this model (e.g. RUN_DIR/model or a checkpoint's model).")
    private String model;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        String badSamples = samples == null ? null : SaliencySamples.SAMPLES.fault(samples);
        if (badSamples != null) throw new ParameterException(spec.commandLine(), "--samples " + badSamples);
        Configuration conf = new Configuration();
        Path root = new Path(runDir);
        RunDirectory run = new RunDirectory(HadoopFiles.fileSystem(root, conf), root);
        Path target = out == null ? new Path(root, DEFAULT_NAME) : new Path(out);
        FileSystem outFs = HadoopFiles.fileSystem(target, conf);
        if (out != null) {
            if (outFs.exists(target) && outFs.getFileStatus(target).isDirectory()) {
                throw new UserInputException("--out " + target + " is a directory; name a file");
            }
            if (!outFs.exists(target)) UserPaths.requireCreatable(outFs, target, "--out");
            requireNotAnInput(conf, UserPaths.canonical(outFs, target), run);
        }
        RunReport report = RunReport.read(run, null); // fails on a bad run before any model is loaded
        SaliencySamples shown = null;
        boolean haveFile = run.fs().exists(RunReport.samplesFile(run));
        if (samples == null || samples > 0) {
            if (model != null || (!haveFile && run.fs().exists(run.model()))) {
                Path dir = model != null ? new Path(model) : run.model();
                int k = samples == null ? 4 : samples;
                spec.commandLine().getErr().println("report: computing " + k + " saliency samples with " + dir);
                spec.commandLine().getErr().flush();
                shown = compute(conf, new Path(root, RunDirectory.CONFIG), dir, k);
            } else if (haveFile && samples != null) {
                List<SaliencySamples.Sample> all = report.samples().samples();
                shown = new SaliencySamples(all.subList(0, Math.min(samples, all.size())));
            }
        } else {
            shown = new SaliencySamples(List.of());
        }
        if (shown != null) report = report.withSamples(shown);
        write(outFs, target, report.html().getBytes(StandardCharsets.UTF_8));
        spec.commandLine().getOut().println(target);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static SaliencySamples compute(Configuration conf, Path configFile, Path modelDir, int k) throws IOException {
        TrainConfig config = TrainConfigLoader.load(conf, configFile.toString(), null);
        // a LoRA run's model/ is an adapter directory: its base (with the tokenizer) and the adapters merged in
        AdapterModels.Source source = AdapterModels.source(conf, modelDir, null);
        FileSystem fs = source.modelFilesFs();
        UserPaths.requireFile(fs, "--model", new Path(source.modelFiles(), "config.json").toString());
        try (ModelDirectory.Loaded loaded = AdapterModels.load(source, DataType.FLOAT);
             Tokenizer tokenizer = Tokenizer.load(fs, source.modelFiles())) {
            Datasets.Dataset data;
            try {
                data = Datasets.open(config.data(), conf, tokenizer);
            } catch (IOException e) {
                throw new UserInputException("cannot read the run's data.test "
                        + org.atmanrl.reward.data.DataSource.display(config.data().testPath()) + ": "
                        + e.getMessage());
            }
            return SaliencySamples.compute(new LlamaModel(loaded.weights()), config.saliency(), data.encoder(),
                    data.test(), Math.min(k, data.test().size()), config.eval().maxNewTokens(),
                    config.saliency().maxRowsPerPass());
        }
    }

    /**
     * The page never replaces what the report reads: the run's files, its model/ and checkpoints/,
     * and the --model directory, by whatever name: paths are compared {@link UserPaths#canonical}.
     */
    private void requireNotAnInput(Configuration conf, Path target, RunDirectory run) {
        List<Path> inputs = new java.util.ArrayList<>();
        for (String name : List.of(RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.SUMMARY,
                RunDirectory.SALIENCY_SAMPLES)) {
            inputs.add(new Path(run.root(), name));
        }
        for (Path p : inputs) {
            if (UserPaths.canonical(run.fs(), p).equals(target)) {
                throw new UserInputException("--out " + out + " is the run's " + p.getName()
                        + ", which this report reads; name another file");
            }
        }
        List<Path> inputDirs = new java.util.ArrayList<>(List.of(run.model(), run.checkpoints()));
        if (model != null) inputDirs.add(new Path(model));
        for (Path d : inputDirs) {
            if (UserPaths.isWithin(target, UserPaths.canonical(HadoopFiles.fileSystem(d, conf), d))) {
                throw new UserInputException("--out " + out + " is inside " + d + ", which this report reads;"
                        + " name another file");
            }
        }
    }

    /** Under a temporary name, then one rename over any older page. */
    static void write(FileSystem fs, Path target, byte[] bytes) throws IOException {
        if (target.getParent() != null) fs.mkdirs(target.getParent());
        Path tmp = HadoopFiles.temporarySibling(target);
        ModelDirectory.writeSmall(fs, tmp, bytes);
        FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(tmp, target, Options.Rename.OVERWRITE);
    }
}
