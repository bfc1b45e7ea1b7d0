package org.atmanrl.reward.data;

import java.util.Objects;
import java.util.Optional;

/**
 * MMLU's outcome check (docs/design.md 2.1): the answer is a choice letter {@code A}-{@code D}
 * right after the last delimiter ({@code ####} by default, as {@link MmluDataset}'s prompt asks for).
 *
 * <p>After the delimiter, whitespace and the opening marks {@code ( [ * _} are skipped; the next
 * character must be an upper-case {@code A}, {@code B}, {@code C} or {@code D} that is not followed
 * by a letter or digit. So {@code #### B}, {@code #### (B)}, {@code #### B)}, {@code #### B.},
 * {@code #### **B**} and {@code #### B. Paris} all read B, while these are unparsed: {@code ####
 * Both} (a word), {@code #### E} (not a choice), {@code #### The answer is B} (text before the
 * letter; the letter must come first, or the article "A" of a sentence would be read as a choice),
 * and a lower-case {@code b} (for the same reason: {@code #### a bit} is not choice A).
 *
 * <p>The reference is the letter alone ({@code "B"}, surrounding whitespace allowed).
 */
public final class MultipleChoiceVerifier extends AnswerVerifier<Character> {
    public static final String DELIMITER = "####";
    /** The verifier with the delimiter of {@link MmluDataset}'s prompts. */
    public static final MultipleChoiceVerifier DEFAULT = new MultipleChoiceVerifier(DELIMITER);
    /** The choice letters, in the order of the choices. */
    public static final String LETTERS = "ABCD";

    public MultipleChoiceVerifier(String delimiter) {
        super(delimiter);
    }

    @Override
    Optional<Character> readAnswer(String answerText) {
        char letter = leadingLetter(answerText);
        return letter == 0 ? Optional.empty() : Optional.of(letter);
    }

    @Override
    Character readReference(String reference) {
        return referenceLetter(reference);
    }

    /** The choice letter that {@code answer} (the text after the delimiter) starts with, or 0. */
    static char leadingLetter(String answer) {
        int i = 0;
        while (i < answer.length() && (Character.isWhitespace(answer.charAt(i)) || "([*_".indexOf(answer.charAt(i)) >= 0)) {
            i++;
        }
        if (i == answer.length() || LETTERS.indexOf(answer.charAt(i)) < 0) {
            return 0;
        }
        char letter = answer.charAt(i);
        if (i + 1 < answer.length() && Character.isLetterOrDigit(answer.charAt(i + 1))) {
            return 0;
        }
        return letter;
    }

    private static char referenceLetter(String reference) {
        Objects.requireNonNull(reference, "reference");
        String letter = reference.strip();
        if (letter.length() != 1 || LETTERS.indexOf(letter.charAt(0)) < 0) {
            throw new IllegalArgumentException("reference answer \"" + reference
                    + "\" is not a choice: expected one of A, B, C, D");
        }
        return letter.charAt(0);
    }

}
