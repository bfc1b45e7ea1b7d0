package org.atmanrl.reward.task;

import java.util.List;
import java.util.Objects;

/**
 * MMLU as {@link Problem}s, answered with a chain of thought and then the choice letter after
 * {@code ####} (the same delimiter as GSM8K, so that every task cuts CoT and answer the same way,
 * and because the plain prompt's cue {@code Answer:} must not itself be the delimiter), verified
 * by {@link MultipleChoiceVerifier}. MMLU has no worked solutions, so there is no reference
 * completion.
 *
 * <p>User message (chat style; the instruction is one line):
 * <pre>
 * The following is a multiple choice question about {subject}. Think step by step, then end your
 * answer with a last line of the form "#### &lt;letter&gt;", where &lt;letter&gt; is A, B, C or D.
 *
 * Question: {question}
 * A. {choice A}
 * B. {choice B}
 * C. {choice C}
 * D. {choice D}
 * </pre>
 * Plain style: the same, then {@code \nAnswer:\n}.
 *
 * <p>Ids: {@code mmlu/<data set>/<line>}, e.g. {@code mmlu/mmlu_test/17}.
 */
public final class MmluTask {
    public static final String NAME = "mmlu";
    public static final MultipleChoiceVerifier VERIFIER = MultipleChoiceVerifier.DEFAULT;

    private MmluTask() {
    }

    public static String instruction(String subjectWords) {
        return "The following is a multiple choice question about " + subjectWords + ". Think step by step, then end"
                + " your answer with a last line of the form \"" + VERIFIER.delimiter() + " <letter>\", where <letter>"
                + " is A, B, C or D.";
    }

    public static PromptText prompt(MmluRow row) {
        StringBuilder user = new StringBuilder(instruction(row.subjectWords()))
                .append("\n\nQuestion: ").append(row.question().strip());
        for (int i = 0; i < row.choices().size(); i++) {
            user.append('\n').append(MultipleChoiceVerifier.LETTERS.charAt(i)).append(". ").append(row.choices().get(i).strip());
        }
        return new PromptText(user.toString(), user + "\nAnswer:\n");
    }

    /** The problem of {@code row} from the data set {@code dataSet} (e.g. {@code mmlu_test}). */
    public static Problem problem(MmluRow row, String dataSet, PromptEncoder encoder) {
        PromptText prompt = prompt(row);
        return new Problem(NAME + "/" + dataSet + "/" + row.line(), prompt.text(encoder.style()), encoder.encode(prompt),
                row.answer(), null, VERIFIER);
    }

    /** The problems of a loaded file, named after it ({@code mmlu_test.jsonl} gives {@code mmlu/mmlu_test}). */
    public static ProblemSet problems(LoadedDataset<MmluRow> data, PromptEncoder encoder) {
        return problems(data.rows(), DatasetNames.of(data.report().file()), encoder);
    }

    public static ProblemSet problems(List<MmluRow> rows, String dataSet, PromptEncoder encoder) {
        Objects.requireNonNull(encoder, "encoder");
        List<MmluRow> copy = List.copyOf(rows);
        return ProblemSet.lazy(NAME + "/" + dataSet, copy.size(), i -> problem(copy.get(i), dataSet, encoder));
    }
}
