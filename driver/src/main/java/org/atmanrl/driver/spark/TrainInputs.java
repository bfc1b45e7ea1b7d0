package org.atmanrl.driver.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.DataSource;
import org.atmanrl.reward.data.Problem;

/**
 * What a training run reads, checked before Spark starts and before the run writes anything: the
 * output directory (with --resume, its metrics, summary and checkpoints: {@link ResumeCheck}), the model directory (config.json, tokenizer, every weight header against it,
 * no tensor read) and the data (every row of its files, at least one usable row in each, and every
 * prompt the run will train or evaluate on fitting the model's context with its completion
 * budget). Otherwise a fault would surface as a failed Spark task after the run directory was
 * made, or, for a too-long prompt, only at the step that draws it.
 */
public final class TrainInputs {
    private TrainInputs() {
    }

    /**
     * What the checks read that the memory plan needs (docs/design.md 3.3): the model's shape and the
     * longest prompt, in tokens, that the run trains on.
     */
    public record Checked(LlamaConfig model, int longestPrompt) {
    }

    /** Every check; a fault is one line (exit 1) and the output stays as it was. */
    public static Checked check(TrainConfig c, Configuration hadoop, boolean resume) throws IOException {
        Path output = new Path(c.output());
        RunDirectory out = new RunDirectory(HadoopFiles.fileSystem(output, hadoop), output);
        out.requireFreshOrResumable(resume);
        if (resume) ResumeCheck.check(out);
        Path model = new Path(c.model());
        FileSystem fs = HadoopFiles.fileSystem(model, hadoop);
        HfConfig modelConfig = ModelDirectory.readConfig(fs, model);
        Map<String, byte[]> companions = ModelDirectory.companionFiles(fs, model);
        requireTokenizer(model, companions);
        ModelDirectory.checkWeights(fs, model, modelConfig.model());
        try (Tokenizer tokenizer = Tokenizer.fromJson(model.toString(), companions.get(Tokenizer.TOKENIZER_FILE),
                companions.get(Tokenizer.CONFIG_FILE))) {
            int longest = requireUsable(c, open(c, hadoop, tokenizer), modelConfig.model().maxPositionEmbeddings());
            return new Checked(modelConfig.model(), longest);
        }
    }

    static void requireTokenizer(Path model, Map<String, byte[]> companions) {
        if (!companions.containsKey(Tokenizer.TOKENIZER_FILE)) {
            throw new UserInputException("model " + model + " has no " + Tokenizer.TOKENIZER_FILE);
        }
    }

    /**
     * The run's data; a source that names no file (a path not there, a directory or glob without a
     * data file), or a file there but unreadable, is one line naming its key.
     */
    static Datasets.Dataset open(TrainConfig c, Configuration hadoop, Tokenizer tokenizer) throws IOException {
        requireSource("data.train", c.data().trainPath(), hadoop);
        requireSource("data.test", c.data().testPath(), hadoop);
        requireSource("data.dev", c.data().devPath(), hadoop);
        try {
            return Datasets.open(c.data(), hadoop, tokenizer);
        } catch (IOException e) {
            throw new UserInputException("cannot read data.train " + DataSource.display(c.data().trainPath())
                    + " or data.test " + DataSource.display(c.data().testPath()) + ": " + e.getMessage());
        }
    }

    /** The files {@code source} names, or a one-line fault naming {@code key} (a key or an option) and the entry. */
    public static void requireSource(String key, String source, Configuration hadoop) throws IOException {
        if (source == null) return;
        try {
            DataSource.resolve(key, source, hadoop);
        } catch (ModelFormatException | FileNotFoundException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    /**
     * Both sets have a row, and every prompt the run uses fits: the first {@code steps x
     * prompts_per_step} positions of its order (at most one epoch, which holds every prompt) with
     * {@code sampling.max_new_tokens}, and the first {@code eval.size} test problems with {@code
     * eval.max_new_tokens}. Returns the longest of the training prompts, in tokens.
     */
    static int requireUsable(TrainConfig c, Datasets.Dataset data, int maxPositions) {
        if (data.train().size() == 0) {
            throw new UserInputException("data.train " + DataSource.display(c.data().trainPath())
                    + ": no usable rows; at least one expected");
        }
        if (data.test().size() == 0) {
            throw new UserInputException("data.test " + DataSource.display(c.data().testPath())
                    + ": no usable rows; at least one expected");
        }
        PromptOrder order = new PromptOrder(data.train(), c.seed());
        long used = Math.min((long) c.steps() * c.promptsPerStep(), data.train().size());
        int longest = 0;
        for (long i = 0; i < used; i++) {
            longest = Math.max(longest, order.at(i).promptIds().length);
            requireFits(order.at(i), data.train().name(), "data.train", c.data().trainPath(), c.sampling().maxNewTokens(),
                    "sampling.max_new_tokens", maxPositions);
        }
        int evaluated = Math.min(c.eval().size(), data.test().size());
        for (int i = 0; i < evaluated; i++) {
            requireFits(data.test().get(i), data.test().name(), "data.test", c.data().testPath(), c.eval().maxNewTokens(),
                    "eval.max_new_tokens", maxPositions);
        }
        return longest;
    }

    private static void requireFits(Problem p, String set, String key, String file, int maxNewTokens,
                                    String budgetKey, int maxPositions) {
        try {
            Evaluation.requireFits(p, maxNewTokens, maxPositions);
        } catch (IllegalArgumentException e) {
            // a file task's problem id is its set's name and the row's place: gsm8k/train/7 for line 7
            // of a file of its own, gsm8k/train/dt=2026-12-01/part-0:7 for row 7 of one of several
            String at = p.id().substring(set.length() + 1);
            String where = file == null ? "" : key + " " + DataSource.display(file)
                    + (at.contains(":") ? " row " : " line ") + at + ": ";
            throw new UserInputException(where + e.getMessage() + "; shorten the prompt, lower " + budgetKey
                    + " or use a model with a longer context");
        }
    }
}
