package org.atmanrl.driver.spark;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.executor.data.Datasets;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
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

    /** Every check; a fault is one line (exit 1) and the output stays as it was. */
    public static void check(TrainConfig c, Configuration hadoop, boolean resume) throws IOException {
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
            requireUsable(c, open(c, hadoop, tokenizer), modelConfig.model().maxPositionEmbeddings());
        }
    }

    static void requireTokenizer(Path model, Map<String, byte[]> companions) {
        if (!companions.containsKey(Tokenizer.TOKENIZER_FILE)) {
            throw new UserInputException("model " + model + " has no " + Tokenizer.TOKENIZER_FILE);
        }
    }

    /** The run's data; a file that is missing, or there but unreadable (a directory, say), is one line naming its key. */
    static Datasets.Dataset open(TrainConfig c, Configuration hadoop, Tokenizer tokenizer) throws IOException {
        requireFile("data.train", c.data().trainPath(), hadoop);
        requireFile("data.test", c.data().testPath(), hadoop);
        try {
            return Datasets.open(c.data(), hadoop, tokenizer);
        } catch (IOException e) {
            throw new UserInputException("cannot read data.train " + c.data().trainPath() + " or data.test "
                    + c.data().testPath() + ": " + e.getMessage());
        }
    }

    private static void requireFile(String key, String path, Configuration hadoop) throws IOException {
        if (path != null) UserPaths.requireFile(HadoopFiles.fileSystem(new Path(path), hadoop), key, path);
    }

    /**
     * Both sets have a row, and every prompt the run uses fits: the first {@code steps x
     * prompts_per_step} positions of its order (at most one epoch, which holds every prompt) with
     * {@code sampling.max_new_tokens}, and the first {@code eval.size} test problems with {@code
     * eval.max_new_tokens}.
     */
    static void requireUsable(TrainConfig c, Datasets.Dataset data, int maxPositions) {
        if (data.train().size() == 0) {
            throw new UserInputException("data.train " + c.data().trainPath() + ": no usable rows; at least one expected");
        }
        if (data.test().size() == 0) {
            throw new UserInputException("data.test " + c.data().testPath() + ": no usable rows; at least one expected");
        }
        PromptOrder order = new PromptOrder(data.train(), c.seed());
        long used = Math.min((long) c.steps() * c.promptsPerStep(), data.train().size());
        for (long i = 0; i < used; i++) {
            requireFits(order.at(i), "data.train", c.data().trainPath(), c.sampling().maxNewTokens(),
                    "sampling.max_new_tokens", maxPositions);
        }
        int evaluated = Math.min(c.eval().size(), data.test().size());
        for (int i = 0; i < evaluated; i++) {
            requireFits(data.test().get(i), "data.test", c.data().testPath(), c.eval().maxNewTokens(),
                    "eval.max_new_tokens", maxPositions);
        }
    }

    private static void requireFits(Problem p, String key, String file, int maxNewTokens, String budgetKey,
                                    int maxPositions) {
        try {
            Evaluation.requireFits(p, maxNewTokens, maxPositions);
        } catch (IllegalArgumentException e) {
            // a file task's problem id ends in the row's line number (gsm8k/train/7)
            String where = file == null ? "" : key + " " + file + " line " + p.id().substring(p.id().lastIndexOf('/') + 1)
                    + ": ";
            throw new UserInputException(where + e.getMessage() + "; shorten the prompt, lower " + budgetKey
                    + " or use a model with a longer context");
        }
    }
}
