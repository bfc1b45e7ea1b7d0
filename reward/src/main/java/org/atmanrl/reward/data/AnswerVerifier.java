package org.atmanrl.reward.data;

import java.util.Objects;
import java.util.Optional;

/**
 * What every verifier here shares: the answer is read from the text after the last delimiter and
 * compared with the reference in the task's value type {@code T}; an answer that cannot be read is
 * {@link Verdict#unparsed()}. Subclasses say only how to read an answer and a reference.
 */
abstract class AnswerVerifier<T> implements Verifier {
    private final String delimiter;

    AnswerVerifier(String delimiter) {
        this.delimiter = CompletionParts.requireDelimiter(delimiter);
    }

    /** The value of the text after the delimiter, or empty when it holds no readable answer. */
    abstract Optional<T> readAnswer(String answerText);

    /** The value of a reference answer; IllegalArgumentException naming it when it is not one. */
    abstract T readReference(String reference);

    /** The canonical text of a value: {@link Verdict#extracted()} and {@link #canonicalReference}. */
    String canonical(T value) {
        return value.toString();
    }

    @Override
    public final String delimiter() {
        return delimiter;
    }

    @Override
    public final Verdict verify(String completion, String reference) {
        T expected = readReference(Objects.requireNonNull(reference, "reference"));
        return CompletionParts.split(completion, delimiter)
                .flatMap(parts -> readAnswer(parts.answer()))
                .map(answer -> Verdict.parsed(canonical(answer), answer.equals(expected)))
                .orElse(Verdict.unparsed());
    }

    @Override
    public final String canonicalReference(String reference) {
        return canonical(readReference(Objects.requireNonNull(reference, "reference")));
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((AnswerVerifier<?>) o).delimiter.equals(delimiter);
    }

    @Override
    public final int hashCode() {
        return getClass().hashCode() * 31 + delimiter.hashCode();
    }

    @Override
    public final String toString() {
        return getClass().getSimpleName() + "(" + delimiter + ")";
    }
}
