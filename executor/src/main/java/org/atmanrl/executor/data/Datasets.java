package org.atmanrl.executor.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ArithmeticProblems;
import org.atmanrl.reward.data.ArithmeticDataset;
import org.atmanrl.reward.data.DatasetReport;
import org.atmanrl.reward.data.Gsm8kJsonl;
import org.atmanrl.reward.data.Gsm8kRow;
import org.atmanrl.reward.data.Gsm8kDataset;
import org.atmanrl.reward.data.LoadedDataset;
import org.atmanrl.reward.data.MalformedRow;
import org.atmanrl.reward.data.MmluJsonl;
import org.atmanrl.reward.data.MmluRow;
import org.atmanrl.reward.data.MmluShots;
import org.atmanrl.reward.data.MmluDataset;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;
import org.atmanrl.reward.data.PromptStyle;
import org.atmanrl.reward.data.Split;
import org.atmanrl.reward.data.SuggestedAnswers;

/**
 * The problems a {@link DataSpec} names, over a model's tokenizer: what a training run or {@code
 * eval} reads. The arithmetic tasks are generated as {@link EmbeddedData} generates them
 * (train over {@link EmbeddedData#TRAIN_INDEX_SPACE} problems, test of {@code testSize});
 * GSM8K and MMLU are read from their JSONL files on any Hadoop file system, the test set cut to
 * its first {@code testSize} rows. With {@code shots > 0}, MMLU's train and test questions are
 * prompted with that many examples of their subject from the dev file ({@link MmluShots}). With
 * {@link DataSpec#suggestedAnswer()} {@code wrong}, every GSM8K and MMLU question, train and test,
 * ends in a suggested wrong answer ({@link SuggestedAnswers}), which is its problem's hint.
 */
public final class Datasets {
    private Datasets() {
    }

    /**
     * One task's data.
     *
     * @param train    the training problems; for GSM8K and MMLU without a {@code trainPath}
     *                 (evaluation only) an empty set named {@code <task>/none}, never null
     * @param test     the test problems, at most {@code testSize}
     * @param encoder  the prompt encoder the problems were built with (its stop token ends a completion);
     *                 it does not own the tokenizer, the caller closes that
     * @param warnings one line each: malformed rows skipped (file, line, field, fault), a test file
     *                 shorter than {@code testSize}
     */
    public record Dataset(ProblemSet train, ProblemSet test, PromptEncoder encoder, List<String> warnings) {
        public Dataset {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Opens the data of {@code spec}. The whole test file is read (and checked) even when only its
     * first rows are kept, so a malformed row past the cut still fails the load under {@code FAIL}.
     *
     * @throws java.io.FileNotFoundException if a named file does not exist
     * @throws org.atmanrl.reward.data.DatasetFormatException at the first malformed row under
     *     {@code MalformedRowPolicy.FAIL}, or at the first MMLU question whose subject has fewer than
     *     {@code shots} questions in the dev file
     * @throws org.atmanrl.model.io.ModelFormatException for the chat template on a tokenizer
     *     without Llama 3's chat tokens
     */
    public static Dataset open(DataSpec spec, Configuration conf, Tokenizer tokenizer) throws IOException {
        PromptEncoder encoder = spec.template() == PromptStyle.CHAT
                ? PromptEncoder.chat(tokenizer, spec.systemPrompt())
                : PromptEncoder.plain(tokenizer);
        List<String> warnings = new ArrayList<>();
        return switch (spec.task()) {
            case ARITHMETIC -> arithmetic(ArithmeticProblems.chained(spec.difficulty(), spec.dataSeed()), spec, encoder);
            case ARITHMETIC_CONTROL -> arithmetic(ArithmeticProblems.control(spec.difficulty(), spec.dataSeed()), spec,
                    encoder);
            case ARITHMETIC_HINT -> arithmetic(ArithmeticProblems.hinted(spec.difficulty(), spec.dataSeed(),
                    spec.hintAccuracy()), spec, encoder);
            case GSM8K -> {
                SuggestedAnswers suggestions = spec.suggestions();
                ProblemSet train = spec.trainPath() == null ? empty(Gsm8kDataset.NAME)
                        : Gsm8kDataset.problems(gsm8k(spec.trainPath(), spec, conf, warnings, Integer.MAX_VALUE), encoder,
                                suggestions);
                ProblemSet test = Gsm8kDataset.problems(gsm8k(spec.testPath(), spec, conf, warnings, spec.testSize()),
                        encoder, suggestions);
                yield new Dataset(train, test, encoder, warnings);
            }
            case MMLU -> {
                MmluShots shots = spec.shots() == 0 ? MmluShots.NONE
                        : MmluShots.of(mmlu(spec.devPath(), spec, conf, warnings, Integer.MAX_VALUE), spec.shots());
                SuggestedAnswers suggestions = spec.suggestions();
                ProblemSet train = spec.trainPath() == null ? empty(MmluDataset.NAME)
                        : MmluDataset.problems(mmlu(spec.trainPath(), spec, conf, warnings, Integer.MAX_VALUE), encoder, shots,
                                suggestions);
                ProblemSet test = MmluDataset.problems(mmlu(spec.testPath(), spec, conf, warnings, spec.testSize()), encoder,
                        shots, suggestions);
                yield new Dataset(train, test, encoder, warnings);
            }
        };
    }

    private static Dataset arithmetic(ArithmeticProblems generator, DataSpec spec, PromptEncoder encoder) {
        return new Dataset(
                ArithmeticDataset.problems(generator, Split.TRAIN, EmbeddedData.TRAIN_INDEX_SPACE, encoder),
                ArithmeticDataset.problems(generator, Split.TEST, spec.testSize(), encoder), encoder, List.of());
    }

    private static ProblemSet empty(String task) {
        return ProblemSet.of(task + "/none", List.of());
    }

    private static LoadedDataset<Gsm8kRow> gsm8k(String file, DataSpec spec, Configuration conf, List<String> warnings,
                                                 int keep) throws IOException {
        Path path = new Path(file);
        LoadedDataset<Gsm8kRow> all = Gsm8kJsonl.load(HadoopFiles.fileSystem(path, conf), path, spec.malformedRows());
        return firstRows(all, keep, warnings);
    }

    private static LoadedDataset<MmluRow> mmlu(String file, DataSpec spec, Configuration conf, List<String> warnings,
                                               int keep) throws IOException {
        Path path = new Path(file);
        LoadedDataset<MmluRow> all = MmluJsonl.load(HadoopFiles.fileSystem(path, conf), path, spec.malformedRows());
        return firstRows(all, keep, warnings);
    }

    /** The first {@code keep} rows, the report kept (problem ids and the set's name come from its file). */
    private static <T> LoadedDataset<T> firstRows(LoadedDataset<T> all, int keep, List<String> warnings) {
        DatasetReport report = all.report();
        for (MalformedRow row : report.malformed()) warnings.add("skipped " + row.message());
        long unlisted = report.malformedCount() - report.malformed().size();
        if (unlisted > 0) {
            warnings.add(report.file() + ": " + unlisted + " more malformed rows skipped, not listed");
        }
        if (keep != Integer.MAX_VALUE && all.rows().size() < keep) {
            warnings.add(report.file() + ": " + all.rows().size() + " usable rows, fewer than the test size " + keep);
        }
        return all.rows().size() <= keep ? all : new LoadedDataset<>(all.rows().subList(0, keep), report);
    }
}
