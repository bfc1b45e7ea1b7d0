package org.atmanrl.executor.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ArithmeticProblems;
import org.atmanrl.reward.data.ArithmeticDataset;
import org.atmanrl.reward.data.DataFile;
import org.atmanrl.reward.data.DataSource;
import org.atmanrl.reward.data.DatasetReport;
import org.atmanrl.reward.data.Gsm8kJsonl;
import org.atmanrl.reward.data.Gsm8kRow;
import org.atmanrl.reward.data.Gsm8kDataset;
import org.atmanrl.reward.data.LoadedDataset;
import org.atmanrl.reward.data.LoadedSource;
import org.atmanrl.reward.data.MalformedRow;
import org.atmanrl.reward.data.MalformedRowPolicy;
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
 * GSM8K and MMLU are read from their JSON-lines or Parquet files on any Hadoop file system, each
 * split a file, a directory, a glob or a list of them ({@link DataSource}), the test set cut to its
 * first {@code testSize} rows. With {@code shots > 0}, MMLU's train and test questions are
 * prompted with that many examples of their subject from the dev file ({@link MmluShots}). With
 * {@link DataSpec#suggestedAnswer()} {@code wrong}, every GSM8K and MMLU question, train and test,
 * ends in a suggested wrong answer ({@link SuggestedAnswers}), which is its problem's hint.
 */
public final class Datasets {
    /** The splits, as problem ids and the keys {@code data.<split>} name them. */
    public static final String TRAIN = "train", TEST = "test", DEV = "dev";

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
     * @param files    every file read, train then test then dev, each in reading order; none for the
     *                 arithmetic tasks
     */
    public record Dataset(ProblemSet train, ProblemSet test, PromptEncoder encoder, List<String> warnings,
                          List<DataFileUse> files) {
        public Dataset {
            warnings = List.copyOf(warnings);
            files = List.copyOf(files);
        }

        /** Data read from no file. */
        public Dataset(ProblemSet train, ProblemSet test, PromptEncoder encoder, List<String> warnings) {
            this(train, test, encoder, warnings, List.of());
        }
    }

    /** Reads a task's rows from the files of a data source. */
    @FunctionalInterface
    private interface Loader<T> {
        LoadedSource<T> load(Configuration conf, List<DataFile> files, MalformedRowPolicy policy) throws IOException;
    }

    /** A source's rows, all of them, and those kept. */
    private record Read<T>(LoadedSource<T> all, List<T> kept, String name) {
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
        List<DataFileUse> files = new ArrayList<>();
        return switch (spec.task()) {
            case ARITHMETIC -> arithmetic(ArithmeticProblems.chained(spec.difficulty(), spec.dataSeed()), spec, encoder);
            case ARITHMETIC_CONTROL -> arithmetic(ArithmeticProblems.control(spec.difficulty(), spec.dataSeed()), spec,
                    encoder);
            case ARITHMETIC_HINT -> arithmetic(ArithmeticProblems.hinted(spec.difficulty(), spec.dataSeed(),
                    spec.hintAccuracy()), spec, encoder);
            case GSM8K -> {
                SuggestedAnswers suggestions = spec.suggestions();
                ProblemSet train = spec.trainPath() == null ? empty(Gsm8kDataset.NAME)
                        : gsm8k(read(TRAIN, spec.trainPath(), spec, conf, Gsm8kJsonl::load, Integer.MAX_VALUE, warnings,
                                files), TRAIN, encoder, suggestions);
                ProblemSet test = gsm8k(read(TEST, spec.testPath(), spec, conf, Gsm8kJsonl::load, spec.testSize(),
                        warnings, files), TEST, encoder, suggestions);
                yield new Dataset(train, test, encoder, warnings, files);
            }
            case MMLU -> {
                MmluShots shots = MmluShots.NONE;
                List<DataFileUse> devFiles = new ArrayList<>();
                if (spec.shots() > 0) {
                    Read<MmluRow> dev = read(DEV, spec.devPath(), spec, conf, MmluJsonl::load, Integer.MAX_VALUE,
                            warnings, devFiles);
                    shots = MmluShots.of(new LoadedDataset<>(dev.kept(),
                            new DatasetReport(dev.name(), dev.kept().size(), 0, 0, List.of())), spec.shots());
                }
                SuggestedAnswers suggestions = spec.suggestions();
                ProblemSet train = spec.trainPath() == null ? empty(MmluDataset.NAME)
                        : mmlu(read(TRAIN, spec.trainPath(), spec, conf, MmluJsonl::load, Integer.MAX_VALUE, warnings,
                                files), TRAIN, encoder, shots, suggestions);
                ProblemSet test = mmlu(read(TEST, spec.testPath(), spec, conf, MmluJsonl::load, spec.testSize(),
                        warnings, files), TEST, encoder, shots, suggestions);
                files.addAll(devFiles);
                yield new Dataset(train, test, encoder, warnings, files);
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

    private static ProblemSet gsm8k(Read<Gsm8kRow> read, String split, PromptEncoder encoder,
                                    SuggestedAnswers suggestions) {
        return Gsm8kDataset.problems(read.kept(), read.all().dataSet(split), encoder, suggestions);
    }

    private static ProblemSet mmlu(Read<MmluRow> read, String split, PromptEncoder encoder, MmluShots shots,
                                   SuggestedAnswers suggestions) {
        return MmluDataset.problems(read.all(), read.kept(), split, encoder, shots, suggestions);
    }

    /**
     * The rows of {@code source} ({@code data.<split>}, {@link DataSource}), its first {@code keep}
     * kept; each file's use is added to {@code files}, each malformed row skipped to {@code warnings}.
     */
    private static <T> Read<T> read(String split, String source, DataSpec spec, Configuration conf, Loader<T> loader,
                                    int keep, List<String> warnings, List<DataFileUse> files) throws IOException {
        LoadedSource<T> all = loader.load(conf, DataSource.resolve("data." + split, source, conf), spec.malformedRows());
        String name = all.single() ? all.files().get(0).path() : DataSource.display(source);
        long before = 0;
        for (int i = 0; i < all.files().size(); i++) {
            DatasetReport report = all.reports().get(i);
            for (MalformedRow row : report.malformed()) warnings.add("skipped " + row.message());
            long unlisted = report.malformedCount() - report.malformed().size();
            if (unlisted > 0) {
                warnings.add(report.file() + ": " + unlisted + " more malformed rows skipped, not listed");
            }
            files.add(new DataFileUse(split, all.files().get(i), report.rows(),
                    Math.max(0, Math.min(report.rows(), keep - before))));
            before += report.rows();
        }
        if (keep != Integer.MAX_VALUE && all.rows().size() < keep) {
            warnings.add(name + ": " + all.rows().size() + " usable rows, fewer than the test size " + keep);
        }
        return new Read<>(all, all.rows().size() <= keep ? all.rows() : all.rows().subList(0, keep), name);
    }
}
