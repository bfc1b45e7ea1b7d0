package org.atmanrl.executor.data;

import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.ArithmeticProblems;
import org.atmanrl.reward.data.ArithmeticDataset;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;
import org.atmanrl.reward.data.Split;

/**
 * The embedded default data: the arithmetic task (and its control) over the embedded character
 * tokenizer, train and test splits, no files needed. Close it to free the tokenizer.
 */
public final class EmbeddedData implements AutoCloseable {
    /** Training draws index into this many problems of the train split (they are drawn with replacement). */
    public static final int TRAIN_INDEX_SPACE = 1_000_000;

    public final Tokenizer tokenizer;
    public final PromptEncoder encoder;
    public final ProblemSet train;
    public final ProblemSet test;
    public final ProblemSet controlTrain;
    public final ProblemSet controlTest;

    public EmbeddedData(ArithmeticDifficulty difficulty, long dataSeed, int testSize) {
        this(embeddedTokenizer(), difficulty, dataSeed, testSize);
    }

    private static Tokenizer embeddedTokenizer() {
        return Tokenizer.fromJson("embedded", CharTokenizerFiles.tokenizerJson(), CharTokenizerFiles.tokenizerConfigJson(256));
    }

    private EmbeddedData(Tokenizer tokenizer, ProblemSet train, ProblemSet test, ProblemSet controlTrain,
                             ProblemSet controlTest) {
        this.tokenizer = tokenizer;
        this.encoder = PromptEncoder.plain(tokenizer);
        this.train = train;
        this.test = test;
        this.controlTrain = controlTrain;
        this.controlTest = controlTest;
    }

    /**
     * The hinted task ({@code arithmetic-hint}) for SFT: training problems whose reference
     * completions are decorative with probability {@code decorativeShare} (keyed by the data seed
     * and the problem index; their hints right with probability {@code hintAccuracy}) and computing
     * otherwise (their hints right with probability {@code computingHintAccuracy}), test problems with the computing reference; no control sets (null).
     */
    public static EmbeddedData hinted(ArithmeticDifficulty difficulty, long dataSeed, int testSize, double hintAccuracy,
                                          double decorativeShare, double computingHintAccuracy) {
        Tokenizer tokenizer = embeddedTokenizer();
        PromptEncoder encoder = PromptEncoder.plain(tokenizer);
        ArithmeticProblems hinted = ArithmeticProblems.hinted(difficulty, dataSeed, hintAccuracy);
        ArithmeticProblems computing = ArithmeticProblems.hinted(difficulty, dataSeed, computingHintAccuracy);
        return new EmbeddedData(tokenizer,
                ArithmeticDataset.mixedCompletions(hinted, computing, Split.TRAIN, TRAIN_INDEX_SPACE, encoder,
                        decorativeShare, dataSeed),
                ArithmeticDataset.problems(hinted, Split.TEST, testSize, encoder), null, null);
    }

    /** The task over {@code tokenizer} (a trained model's own), which this closes when closed. */
    public EmbeddedData(Tokenizer tokenizer, ArithmeticDifficulty difficulty, long dataSeed, int testSize) {
        this.tokenizer = tokenizer;
        this.encoder = PromptEncoder.plain(tokenizer);
        ArithmeticProblems chained = ArithmeticProblems.chained(difficulty, dataSeed);
        ArithmeticProblems control = ArithmeticProblems.control(difficulty, dataSeed);
        this.train = ArithmeticDataset.problems(chained, Split.TRAIN, TRAIN_INDEX_SPACE, encoder);
        this.test = ArithmeticDataset.problems(chained, Split.TEST, testSize, encoder);
        this.controlTrain = ArithmeticDataset.problems(control, Split.TRAIN, TRAIN_INDEX_SPACE, encoder);
        this.controlTest = ArithmeticDataset.problems(control, Split.TEST, testSize, encoder);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
