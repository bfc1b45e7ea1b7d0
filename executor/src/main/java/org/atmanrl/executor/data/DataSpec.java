package org.atmanrl.executor.data;

import java.io.Serializable;
import java.util.Locale;
import org.atmanrl.model.check.Conflict;
import org.atmanrl.model.check.Range;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.ArithmeticProblems;
import org.atmanrl.reward.data.DataSource;
import org.atmanrl.reward.data.MalformedRowPolicy;
import org.atmanrl.reward.data.PromptStyle;
import org.atmanrl.reward.data.SuggestedAnswers;

/**
 * Which data a command trains or evaluates on: the {@code data} section of a training config and
 * the data options of {@code eval}. The embedded arithmetic task needs no files; GSM8K and MMLU read
 * JSON lines or Parquet from any Hadoop path (docs/design.md 4): each path below is a {@link
 * DataSource}, a file, a directory, a glob or a list of them ({@link DataSource#join}).
 *
 * @param task          which task (default {@link Source#ARITHMETIC}, the embedded one)
 * @param trainPath     the training rows; required for GSM8K and MMLU training, unused by the
 *                      arithmetic tasks
 * @param testPath      the test rows; required for GSM8K and MMLU, unused by the arithmetic tasks
 * @param template      how prompts are written: plain (default; base and the embedded model) or the
 *                      Llama 3 Instruct chat format
 * @param systemPrompt  the chat template's system message, or null for none
 * @param malformedRows what a loader does with a bad row: fail (default) or skip and report it
 * @param difficulty    the arithmetic task's difficulty (default: the one of docs/design.md 2.4)
 * @param dataSeed      the arithmetic generator's seed (default 0): which problems exist; for GSM8K
 *                      and MMLU, which wrong answers the prompts suggest
 * @param testSize      test problems to evaluate on (default 500; a GSM8K/MMLU file is cut to its first
 *                      {@code testSize} rows)
 * @param devPath       MMLU only: the dev split the few-shot examples come from, or null
 * @param shots         MMLU only: examples before each question (default 0, zero-shot; 5 is MMLU's
 *                      protocol), the first {@code shots} dev questions of its subject; {@code > 0}
 *                      needs {@code devPath} and {@code devPath} needs {@code > 0}
 * @param hintAccuracy  {@code arithmetic-hint} only: the probability that a prompt's hint is the
 *                      right answer (default 0.8, {@link ArithmeticProblems#DEFAULT_HINT_ACCURACY})
 * @param suggestedAnswer GSM8K and MMLU only: whether each question (train and test) ends in a
 *                      suggested wrong answer, Turpin et al.'s biased context ({@link
 *                      SuggestedAnswers}; default none). The arithmetic tasks reject it: their
 *                      hint is the task {@code arithmetic-hint}
 */
public record DataSpec(Source task, String trainPath, String testPath, PromptStyle template, String systemPrompt,
                       MalformedRowPolicy malformedRows, ArithmeticDifficulty difficulty, long dataSeed, int testSize,
                       String devPath, int shots, double hintAccuracy, SuggestedAnswers.Mode suggestedAnswer)
        implements Serializable {

    /** The tasks there are, by their config names. */
    public enum Source {
        ARITHMETIC("arithmetic"), ARITHMETIC_CONTROL("arithmetic-control"), ARITHMETIC_HINT("arithmetic-hint"),
        GSM8K("gsm8k"), MMLU("mmlu");

        private final String configName;

        Source(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        /** Whether the task is generated (no files). */
        public boolean embedded() {
            return this == ARITHMETIC || this == ARITHMETIC_CONTROL || this == ARITHMETIC_HINT;
        }

        /** The task named {@code name} (case-insensitive), or an error that lists the names. */
        public static Source parse(String name) {
            for (Source t : values()) {
                if (t.configName.equalsIgnoreCase(name.trim())) return t;
            }
            throw new IllegalArgumentException("unknown task '" + name + "'; expected arithmetic, arithmetic-control,"
                    + " arithmetic-hint, gsm8k or mmlu");
        }
    }

    /**
     * Test problems are held in memory, and MMLU's test split, the largest used, has 14,042; a
     * few-shot prompt of more than 64 examples fits no supported context (docs/design.md 4).
     */
    public static final int MAX_TEST_SIZE = 1 << 20, MAX_SHOTS = 64;
    public static final Range TEST_SIZE = Range.closed(1, MAX_TEST_SIZE), SHOTS = Range.closed(0, MAX_SHOTS);

    public DataSpec {
        if (task == null || template == null || malformedRows == null || difficulty == null
                || suggestedAnswer == null) {
            throw new IllegalArgumentException("task, template, malformed_rows, difficulty and suggested_answer are"
                    + " required");
        }
        TEST_SIZE.check("test_size", testSize);
        if (!task.embedded() && (testPath == null || testPath.isBlank())) {
            throw new Conflict("task " + task.configName() + " needs a test file (data.test)", "data.task", "data.test");
        }
        ArithmeticProblems.HINT_ACCURACY.check("hint_accuracy", hintAccuracy);
        SHOTS.check("shots", shots);
        boolean hasDev = devPath != null && !devPath.isBlank();
        if ((shots > 0 || hasDev) && task != Source.MMLU) {
            throw new Conflict("few-shot prompts (data.dev, data.shots) are for task mmlu; task "
                    + task.configName() + " is zero-shot", "data.task", "data.dev", "data.shots");
        }
        if (shots > 0 && !hasDev) {
            throw new Conflict(shots + " shots need a dev file to take them from (data.dev)", "data.shots", "data.dev");
        }
        if (suggestedAnswer != SuggestedAnswers.Mode.NONE && task.embedded()) {
            throw new Conflict("suggested_answer " + suggestedAnswer.name().toLowerCase(Locale.ROOT)
                    + " is for tasks gsm8k and mmlu; the arithmetic tasks have their own hint: task arithmetic-hint"
                    + " (data.hint_accuracy)", "data.suggested_answer", "data.task");
        }
        if (hasDev && shots == 0) {
            throw new Conflict("a dev file (data.dev " + DataSource.display(devPath) + ") is only read for few-shot"
                    + " prompts; set data.shots >= 1 (5 is MMLU's protocol)", "data.dev", "data.shots");
        }
    }

    /** The spec without few-shot examples, as before they existed. */
    public DataSpec(Source task, String trainPath, String testPath, PromptStyle template, String systemPrompt,
                    MalformedRowPolicy malformedRows, ArithmeticDifficulty difficulty, long dataSeed, int testSize) {
        this(task, trainPath, testPath, template, systemPrompt, malformedRows, difficulty, dataSeed, testSize, null, 0);
    }

    /** The spec whose prompts suggest no answer. */
    public DataSpec(Source task, String trainPath, String testPath, PromptStyle template, String systemPrompt,
                    MalformedRowPolicy malformedRows, ArithmeticDifficulty difficulty, long dataSeed, int testSize,
                    String devPath, int shots, double hintAccuracy) {
        this(task, trainPath, testPath, template, systemPrompt, malformedRows, difficulty, dataSeed, testSize, devPath,
                shots, hintAccuracy, SuggestedAnswers.Mode.NONE);
    }

    /** The spec with the default hint accuracy. */
    public DataSpec(Source task, String trainPath, String testPath, PromptStyle template, String systemPrompt,
                    MalformedRowPolicy malformedRows, ArithmeticDifficulty difficulty, long dataSeed, int testSize,
                    String devPath, int shots) {
        this(task, trainPath, testPath, template, systemPrompt, malformedRows, difficulty, dataSeed, testSize, devPath,
                shots, ArithmeticProblems.DEFAULT_HINT_ACCURACY);
    }

    /** The embedded arithmetic task with every default. */
    public static DataSpec embedded() {
        return new DataSpec(Source.ARITHMETIC, null, null, PromptStyle.PLAIN, null, MalformedRowPolicy.FAIL,
                ArithmeticDifficulty.DEFAULT, 0, 500);
    }

    /** The spec whose GSM8K or MMLU prompts suggest answers as {@code mode} says. */
    public DataSpec withSuggestedAnswer(SuggestedAnswers.Mode mode) {
        return new DataSpec(task, trainPath, testPath, template, systemPrompt, malformedRows, difficulty, dataSeed,
                testSize, devPath, shots, hintAccuracy, mode);
    }

    /** The suggestions the prompts carry: drawn under the data seed. */
    public SuggestedAnswers suggestions() {
        return suggestedAnswer == SuggestedAnswers.Mode.NONE ? SuggestedAnswers.NONE
                : new SuggestedAnswers(suggestedAnswer, dataSeed);
    }

    @Override
    public String toString() {
        return task.configName() + (task.embedded() ? "" : " (train " + DataSource.display(trainPath) + ", test "
                + DataSource.display(testPath) + ")")
                + ", " + template.name().toLowerCase(Locale.ROOT) + " prompts"
                + (shots > 0 ? ", " + shots + "-shot from " + DataSource.display(devPath) : "")
                + (suggestedAnswer == SuggestedAnswers.Mode.WRONG ? ", a wrong answer suggested" : "");
    }
}
