package org.atmanrl.reward.saliency;

import java.util.Optional;
import org.atmanrl.model.text.Tokenizer;

/**
 * Where the parts of a completion {@code o = c . d . a} (docs/design.md 2) sit in a full sequence
 * (prompt then completion), as token positions: the CoT {@code [cotStart, cotEnd)}, the answer
 * delimiter {@code [cotEnd, answerStart)} and the answer {@code [answerStart, answerEnd)}, which
 * runs to the end of the sequence, end-of-sequence token included.
 */
public record CompletionSpans(int cotStart, int cotEnd, int answerStart, int answerEnd) {
    public CompletionSpans {
        if (!(0 <= cotStart && cotStart <= cotEnd && cotEnd <= answerStart && answerStart < answerEnd)) {
            throw new IllegalArgumentException("need cotStart <= cotEnd <= answerStart < answerEnd, got "
                    + cotStart + ", " + cotEnd + ", " + answerStart + ", " + answerEnd);
        }
    }

    public int cotLength() {
        return cotEnd - cotStart;
    }

    public int answerLength() {
        return answerEnd - answerStart;
    }

    /**
     * Finds the spans of {@code completion} (appended after {@code promptLength} prompt tokens) by
     * the last occurrence of {@code delimiter} in its decoded text. Works in characters, not token
     * ids, because a BPE tokenizer may merge the delimiter with its neighbours: a token that
     * overlaps the delimiter belongs to the delimiter span. Empty when the completion has no
     * delimiter or nothing after it (no parseable answer: outcome and saliency are 0).
     */
    public static Optional<CompletionSpans> locate(Tokenizer tokenizer, int promptLength, int[] completion,
                                                   String delimiter) {
        String text = tokenizer.decode(completion);
        int[] charEnd = charEnds(tokenizer, completion, text);
        int at = text.lastIndexOf(delimiter);
        if (at < 0) {
            return Optional.empty();
        }
        int delimiterEnd = at + delimiter.length();
        int first = 0;
        while (first < completion.length && charEnd[first] <= at) first++;
        int last = first;
        while (last < completion.length && charEnd[last] < delimiterEnd) last++;
        int answerStart = last + 1;
        if (answerStart >= completion.length) {
            return Optional.empty();
        }
        return Optional.of(new CompletionSpans(promptLength, promptLength + first, promptLength + answerStart,
                promptLength + completion.length));
    }

    /**
     * charEnd[i]: the length of the text of completion tokens 0..i. One decode per token when the
     * tokens' texts add up to the whole (always for the character tokenizer, and for BPE unless a
     * character is split across tokens); otherwise each prefix is decoded, which is exact but
     * quadratic. This runs for every correct completion of every step.
     */
    private static int[] charEnds(Tokenizer tokenizer, int[] completion, String text) {
        int[] charEnd = new int[completion.length];
        int length = 0;
        StringBuilder joined = new StringBuilder(text.length());
        for (int i = 0; i < completion.length; i++) {
            String piece = tokenizer.decode(new int[] {completion[i]});
            joined.append(piece);
            length += piece.length();
            charEnd[i] = length;
        }
        if (joined.toString().equals(text)) {
            return charEnd;
        }
        for (int i = 0; i < completion.length; i++) {
            charEnd[i] = tokenizer.decode(java.util.Arrays.copyOf(completion, i + 1)).length();
        }
        return charEnd;
    }
}
