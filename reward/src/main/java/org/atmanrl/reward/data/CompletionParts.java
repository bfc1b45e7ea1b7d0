package org.atmanrl.reward.data;

import java.util.Objects;
import java.util.Optional;

/**
 * A completion cut at the last occurrence of its task's delimiter: {@code completion ==
 * chainOfThought + delimiter + answer}, with {@code delimiterStart == chainOfThought.length()}.
 * Nothing is trimmed, so the character offsets hold in the completion (the saliency code maps them
 * to token positions).
 */
public record CompletionParts(String chainOfThought, String delimiter, String answer) {
    public CompletionParts {
        Objects.requireNonNull(chainOfThought, "chainOfThought");
        Objects.requireNonNull(answer, "answer");
        requireDelimiter(delimiter);
        if (answer.contains(delimiter)) {
            throw new IllegalArgumentException("the answer part must follow the last delimiter \"" + delimiter
                    + "\", but it contains another: \"" + answer + "\"");
        }
    }

    /** The parts of {@code completion}, or empty when it does not contain {@code delimiter}. */
    public static Optional<CompletionParts> split(String completion, String delimiter) {
        Objects.requireNonNull(completion, "completion");
        requireDelimiter(delimiter);
        int at = completion.lastIndexOf(delimiter);
        if (at < 0) {
            return Optional.empty();
        }
        return Optional.of(new CompletionParts(completion.substring(0, at), delimiter,
                completion.substring(at + delimiter.length())));
    }

    /** Where the delimiter starts in the completion, i.e. the length of the chain of thought. */
    public int delimiterStart() {
        return chainOfThought.length();
    }

    /** Where the answer starts in the completion. */
    public int answerStart() {
        return chainOfThought.length() + delimiter.length();
    }

    static String requireDelimiter(String delimiter) {
        Objects.requireNonNull(delimiter, "delimiter");
        if (delimiter.isBlank()) {
            throw new IllegalArgumentException("the answer delimiter must contain a visible character, not \""
                    + delimiter + "\"");
        }
        return delimiter;
    }
}
