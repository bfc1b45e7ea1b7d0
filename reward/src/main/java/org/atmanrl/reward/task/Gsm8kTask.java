package org.atmanrl.reward.task;

import java.util.List;
import java.util.Objects;

/**
 * GSM8K as {@link Problem}s. Delimiter {@code ####} (the data set's own), verified by {@link
 * Gsm8kVerifier}; the reference completion is the data set's worked solution without its
 * calculator annotations ({@link Gsm8kRow#solution()}), which ends in {@code #### <number>} as the
 * prompt asks.
 *
 * <p>User message (chat style):
 * <pre>
 * Solve the following math problem step by step. End your answer with a last line of the form
 * "#### &lt;number&gt;", where &lt;number&gt; is the final answer as a plain number.
 *
 * Question: {question}
 * </pre>
 * (the instruction is one line). Plain style: the same, then {@code \nAnswer:\n}.
 *
 * <p>Ids: {@code gsm8k/<data set>/<line>}, e.g. {@code gsm8k/test/17} for line 17 of {@code test.jsonl}.
 */
public final class Gsm8kTask {
    public static final String NAME = "gsm8k";
    public static final Gsm8kVerifier VERIFIER = Gsm8kVerifier.DEFAULT;
    public static final String INSTRUCTION = "Solve the following math problem step by step. End your answer with"
            + " a last line of the form \"" + VERIFIER.delimiter() + " <number>\", where <number> is the final answer"
            + " as a plain number.";

    private Gsm8kTask() {
    }

    public static PromptText prompt(String question) {
        String user = INSTRUCTION + "\n\nQuestion: " + question.strip();
        return new PromptText(user, user + "\nAnswer:\n");
    }

    /** The problem of {@code row} from the data set {@code dataSet} (e.g. {@code test}). */
    public static Problem problem(Gsm8kRow row, String dataSet, PromptEncoder encoder) {
        PromptText prompt = prompt(row.question());
        return new Problem(NAME + "/" + dataSet + "/" + row.line(), prompt.text(encoder.style()), encoder.encode(prompt),
                row.finalAnswer(), row.solution(), VERIFIER);
    }

    /** The problems of a loaded file, named after it ({@code test.jsonl} gives {@code gsm8k/test}). */
    public static ProblemSet problems(LoadedDataset<Gsm8kRow> data, PromptEncoder encoder) {
        return problems(data.rows(), DatasetNames.of(data.report().file()), encoder);
    }

    public static ProblemSet problems(List<Gsm8kRow> rows, String dataSet, PromptEncoder encoder) {
        Objects.requireNonNull(encoder, "encoder");
        List<Gsm8kRow> copy = List.copyOf(rows);
        return ProblemSet.lazy(NAME + "/" + dataSet, copy.size(), i -> problem(copy.get(i), dataSet, encoder));
    }
}
